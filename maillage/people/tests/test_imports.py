"""People imports: presets, encodings, rejected rows, re-imports, suppression, merges, failure."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.people.imports import writer as writer_module
from maillage.people.imports.generator import write_roll
from maillage.people.imports.presets import REU_HEADERS, detect_preset, guess_mapping, mapping_for
from maillage.people.imports.reader import detect_encoding, open_table
from maillage.people.imports.rows import (
    PERSON_COLUMNS,
    SUPPRESSED,
    Ledger,
    RowConverter,
    constituency_code,
)
from maillage.people.imports.writer import DirectRoute, copy_line
from maillage.people.models import (
    Consent,
    EmailAddress,
    ImportJob,
    Person,
    PhoneNumber,
    SuppressionEntry,
    Tag,
)
from maillage.people.normalise import (
    household_key,
    identity_key,
    ledger_hash,
    search_key,
    street_key,
)
from maillage.people.services.imports import import_file, import_job_create, import_job_run
from maillage.people.services.suppression import suppression_add
from maillage.people.tests.factories import EmailAddressFactory, PhoneNumberFactory
from maillage.people.tests.fixtures.helpers import (
    FIXTURES,
    elistelec_row,
    reu_row,
    write_plain,
    write_reu,
)
from maillage.territory.models import PollingStation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.MAILLAGE_UPLOAD_DIR


def _rejected(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


# Presets -------------------------------------------------------------------------------------


def test_it_imports_the_reu_sample_with_official_codes_and_partial_dates() -> None:
    summary = import_file(path=FIXTURES / "reu_sample.csv", source="REU test")
    assert summary.preset == "reu"
    assert (summary.created, summary.rejected) == (4, 0)
    martin = Person.objects.get(birth_name="MARTIN")
    assert (
        martin.commune_code,
        martin.polling_station_code,
        martin.constituency_code,
        martin.department_code,
    ) == ("13999", "13999_0001", "1399", "13")
    assert (martin.roll_commune_code, martin.roll_station_code, martin.roll_number) == (
        "13999",
        "0001",
        1,
    )
    assert (martin.birth_year, martin.birth_month, martin.birth_day) == (1980, 5, 17)
    assert martin.is_voter and not martin.is_contact
    assert martin.sources == ["REU test"]
    assert martin.search_name == search_key("Camille Marie", "", "MARTIN")
    assert martin.household_key == household_key("3", "RUE DU PORT", "", "13990")
    # Station labels are kept once per station, not on every voter.
    assert "libellé du bureau de vote" not in martin.extra
    # … in territory, the one home of places, where results and turfs find them.
    station = PollingStation.objects.select_related("commune").get(code="13999_0001")
    assert (station.name, station.commune.name) == ("BUREAU 1", "VALLON-SUR-MER")
    assert station.number == "0001" and martin.polling_station_code == station.code
    assert (
        Person.objects.get(birth_name="DURAND").birth_year,
        Person.objects.get(birth_name="DURAND").birth_month,
    ) == (1953, None)
    assert Person.objects.get(birth_name="LEFÈVRE").birth_year == 1961
    assert Person.objects.get(birth_name="PETIT").polling_station_code == "13999_0002"


def test_the_roll_gives_no_consent_and_writes_no_consent_row() -> None:
    # The legal basis of roll data (art. L37) is recorded by `is_voter` and `sources`.
    import_file(path=FIXTURES / "reu_sample.csv")
    martin = Person.objects.get(birth_name="MARTIN")
    assert martin.is_voter and martin.sources == ["reu_sample.csv"]
    assert (martin.consent_post, martin.consent_email, martin.consent_sms) == (None, None, None)
    assert martin.consent_phone is None
    assert not Consent.objects.filter(person=martin).exists()


def test_it_recognises_reu_headers_whatever_their_case_and_accents(tmp_path: Path) -> None:
    variants = [h.upper().replace("É", "E") for h in REU_HEADERS]
    variants[0] = "Code de l'UGLE"
    variants[10] = "code du département de naissance"
    path = write_reu(tmp_path / "reu.csv", [reu_row(1)], headers=variants)
    assert detect_preset(open_table(path).headers) == "reu"
    assert import_file(path=path).created == 1


def test_it_imports_the_elistelec_sample_from_its_exact_headers() -> None:
    summary = import_file(path=FIXTURES / "elistelec_sample.csv")
    assert summary.preset == "elistelec"
    assert summary.created == 3
    martin = Person.objects.get(birth_name="MARTIN")
    assert (martin.commune_code, martin.polling_station_code, martin.constituency_code) == (
        "13999",
        "13999_0001",
        "1301",
    )
    assert martin.address_street == "RUE DU PORT"
    assert Person.objects.get(birth_name="LEFÈVRE").polling_station_code == "13999_0002"


def test_it_refuses_a_roll_preset_on_a_file_without_its_headers(tmp_path: Path) -> None:
    path = write_plain(tmp_path / "list.csv", ["nom", "prenom"], [["MARTIN", "Camille"]])
    with pytest.raises(ApplicationError, match="27 colonnes"):
        import_file(path=path, preset="reu")
    assert not Person.objects.exists()


def test_it_keeps_campaign_columns_of_a_roll_as_phones_email_tags_and_extra(tmp_path: Path) -> None:
    path = write_reu(
        tmp_path / "reu.csv",
        [
            [
                *reu_row(1),
                "Infirmière",
                "06 12 34 56 78",
                "04 91 00 00 00",
                "Camille@Example.org",
                "bleu",
            ]
        ],
        extra_headers=("PROFESSION", "PORTABLE", "FIXE", "MAIL", "COULEUR"),
    )
    assert import_file(path=path).created == 1
    person = Person.objects.get()
    assert list(person.tags.values_list("slug", "kind")) == [("infirmiere", "profession")]
    assert sorted(PhoneNumber.objects.values_list("number", "kind")) == [
        ("+33491000000", "landline"),
        ("+33612345678", "mobile"),
    ]
    assert EmailAddress.objects.get().address == "camille@example.org"
    assert person.extra["COULEUR"] == "bleu"
    assert person.consent_email is None  # the file says nothing about consent


# Bad rows ------------------------------------------------------------------------------------


def test_it_rejects_bad_rows_with_their_line_number_and_reason(tmp_path: Path) -> None:
    headers = ("PORTABLE", "MAIL")
    rows = [
        [*reu_row(1), "", ""],
        [*reu_row(2, birth_name=""), "", ""],  # line 3
        [*reu_row(3, born="31/02/1980"), "", ""],  # line 4
        [*reu_row(4), "12", ""],  # line 5
        [*reu_row(5), "", "pas-un-mail"],  # line 6
        reu_row(6),  # line 7: two columns short
        [*reu_row(7), "", ""],
    ]
    path = write_reu(tmp_path / "bad.csv", rows, extra_headers=headers)
    with path.open("ab") as handle:  # line 9: a CP1252 byte in a UTF-8 file
        handle.write(
            b'"13999";"VALLON";"Liste principale";"B\xe9BERT";"";"Jo";"M";"01/01/1990";"";"";"";"";"";"";"";"";"";"";"";"";"";"0001";"";"1399";"";"";8;"";""\n'
        )
    summary = import_file(path=path, rejected_path=tmp_path / "rejected.csv")
    assert (summary.created, summary.rejected) == (2, 6)
    rejected = _rejected(summary.rejected_path)
    assert rejected[0][-2:] == ["ligne", "motif"]
    reasons = {int(row[-2]): row[-1] for row in rejected[1:]}
    assert reasons == {
        3: "nom manquant",
        4: "date de naissance impossible : 31/02/1980",
        5: "téléphone invalide : 12",
        6: "e-mail invalide : pas-un-mail",
        7: "nombre de colonnes incorrect : 27 au lieu de 29",
        9: "octets illisibles dans l'encodage utf-8",
    }
    assert (
        rejected[1][:4] == reu_row(2, birth_name="")[:4]
    )  # the original columns come back as they were


def test_it_rejects_a_repeated_roll_identity_and_keeps_the_first(tmp_path: Path) -> None:
    path = write_reu(tmp_path / "dup.csv", [reu_row(1, "MARTIN"), reu_row(1, "DURAND")])
    summary = import_file(path=path, rejected_path=tmp_path / "rejected.csv")
    assert (summary.created, summary.rejected) == (1, 1)
    assert Person.objects.get().birth_name == "MARTIN"
    assert _rejected(summary.rejected_path)[1][-2:] == ["3", "numéro d'ordre déjà présent ligne 2"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "vide"),
        (b"\x00\x01\x02binary\x00", "binaire"),
        (b"just one column\nvalue\n", "une seule colonne"),
        (b"PK\x03\x04broken", "XLSX"),
    ],
)
def test_it_refuses_unreadable_files_with_a_clear_message(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    with pytest.raises(ApplicationError, match=message):
        import_file(path=path)


# Encodings and separators ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "cp850", "iso-8859-1"])
def test_it_reads_accented_names_in_every_supported_encoding(tmp_path: Path, encoding: str) -> None:
    path = write_reu(
        tmp_path / "enc.csv",
        [
            reu_row(1, "LEFÈVRE", "Hélène Françoise"),
            reu_row(2, "NOËL", "Loïc", street="RUE DE L'ÉGLISE"),
        ],
        encoding=encoding,
    )
    summary = import_file(path=path)
    assert summary.created == 2, summary
    assert set(Person.objects.values_list("birth_name", "first_names")) == {
        ("LEFÈVRE", "Hélène Françoise"),
        ("NOËL", "Loïc"),
    }


def test_it_detects_encodings_deterministically() -> None:
    text = "nom;prénom\nLEFÈVRE;Hélène\nGARÇON;Zoé\n"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(codecs.BOM_UTF8 + text.encode("utf-8")) == "utf-8-sig"
    assert detect_encoding(text.encode("cp1252")) == "cp1252"
    assert detect_encoding(text.encode("cp850")) == "cp850"
    assert detect_encoding(text.encode("latin-1")) == "cp1252"


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_it_sniffs_the_separator_of_a_generic_file(tmp_path: Path, delimiter: str) -> None:
    path = write_plain(
        tmp_path / "list.csv",
        ["Nom", "Prénom", "E-mail"],
        [["MARTIN", "Camille", "camille@example.org"]],
        delimiter=delimiter,
    )
    summary = import_file(path=path)
    assert (summary.preset, summary.created) == ("generic", 1)
    person = Person.objects.get()
    assert person.is_contact and not person.is_voter
    assert person.emails.get().address == "camille@example.org"


def test_it_imports_an_xlsx_list_with_a_mapping(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Famille", "Prénom", "Né le", "Tél"])
    sheet.append(["MARTIN", "Camille", "1980-05-17", "0612345678"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    summary = import_file(
        path=path,
        mapping={
            "Famille": "birth_name",
            "Prénom": "first_names",
            "Né le": "birth_date",
            "Tél": "phone",
        },
    )
    assert summary.created == 1
    person = Person.objects.get()
    assert (person.birth_name, person.birth_year, person.birth_day) == ("MARTIN", 1980, 17)
    assert person.phones.get().number == "+33612345678"


def test_it_guesses_a_mapping_from_common_headers() -> None:
    assert guess_mapping(
        ["NOM", "Prénom", "Courriel", "Portable", "CP", "Ville", "Profession", "Couleur"]
    ) == {
        "NOM": "birth_name",
        "Prénom": "first_names",
        "Courriel": "email",
        "Portable": "mobile",
        "CP": "postcode",
        "Ville": "commune_name",
        "Profession": "profession",
        "Couleur": "",
    }


def test_its_keys_are_the_shared_normalisation_ones() -> None:
    headers = list(REU_HEADERS)
    converter = RowConverter(
        headers=headers,
        mapping=mapping_for(preset="reu", headers=headers),
        preset="reu",
        ledger=Ledger(),
    )
    row = converter.convert(
        2,
        reu_row(
            1,
            "Le Fèvre-Dupont",
            "Jean-Marc Pierre",
            street="BD DE LA LIBERTÉ",
            street_number="12 bis",
        ),
    )
    names = [name for name, _kind in writer_module.STAGING_COLUMNS]
    values = dict(zip(names, row, strict=True))
    assert values["ident"] == identity_key("Le Fèvre-Dupont", "Jean-Marc Pierre", 1980, 5, 17)
    assert values["building_key"] == street_key("12 bis", "BD DE LA LIBERTÉ", "13990")
    assert values["household_key"] == household_key("12 bis", "BD DE LA LIBERTÉ", "", "13990")


def _converter_for(path: Path, ledger: Ledger) -> RowConverter:
    table = open_table(path)
    preset = detect_preset(table.headers)
    mapping = (
        guess_mapping(table.headers)
        if preset == "generic"
        else mapping_for(preset=preset, headers=table.headers)
    )
    return RowConverter(headers=table.headers, mapping=mapping, preset=preset, ledger=ledger)


def test_a_converter_that_has_seen_many_rows_converts_each_as_a_new_one_would(
    tmp_path: Path,
) -> None:
    """Groups of cells are memoised by their raw values: the memo must never change a result,
    whatever came before (a roll with bad rows; a list with contacts, consents and the ledger)."""
    roll = tmp_path / "roll.csv"
    write_roll(roll, rows=1500, seed=11, stations=3, bad_rows=30)
    contacts = write_plain(
        tmp_path / "contacts.csv",
        [
            "Nom",
            "Prénom",
            "Naissance",
            "Email",
            "Portable",
            "Téléphone",
            "Profession",
            "Accord SMS",
            "Couleur",
        ],
        [
            [name, first, born, email, mobile, phone, job, flag, colour]
            for name, first, born, email, mobile, phone, job, flag, colour in [
                (
                    "Martin",
                    "Jean",
                    "17/05/1980",
                    "jean@example.org",
                    "06 12 34 56 78",
                    "",
                    "Infirmière",
                    "oui",
                    "bleu",
                ),
                (
                    "MARTIN",
                    "Jean ",
                    "17/05/1980",
                    "",
                    "",
                    "04 91 00 00 00",
                    "infirmiere",
                    "non",
                    "",
                ),
                ("Durand", "Élise", "1961", "elise@example", "", "", "", "", "vert"),
                ("", "", "00/00/1953", "x@example.org", "", "", "", "", ""),
                ("Roux", "Léa", "31/02/1980", "", "", "", "", "", ""),
                ("Roux", "Léa", "01/02/1980", "", "0612", "", "", "", ""),
                ("Blanc", "Marc", "02/03/1975", "erase@example.org", "", "", "", "x", ""),
                (
                    "Blanc",
                    "Marc",
                    "02/03/1975",
                    "OPTOUT@example.org ",
                    "+33698765432",
                    "",
                    "Ouvrier",
                    "1",
                    "rouge",
                ),
            ]
            * 3
        ],
    )
    ledger = Ledger()
    ledger.identity_all.add(
        ledger_hash("identity", identity_key("Durand", "Élise", 1961, None, None))
    )
    ledger.email_all.add(ledger_hash("email", "erase@example.org"))
    ledger.email_optout.add(ledger_hash("email", "optout@example.org"))
    ledger.sms_optout.add(ledger_hash("phone", "+33698765432"))
    expected = {"tuple", "str"}  # every file has kept rows; the first two, rejected ones too
    files = {roll: expected, contacts: expected | {"suppressed"}}
    files |= {FIXTURES / "reu_sample.csv": {"tuple"}, FIXTURES / "elistelec_sample.csv": {"tuple"}}
    for path, seen in files.items():
        shared = _converter_for(path, ledger)
        outcomes = set()
        for numbers, rows, _problems in open_table(path).batches(400):
            for line_no, row in zip(numbers, rows, strict=True):
                alone = _converter_for(path, ledger).convert(line_no, list(row))
                assert shared.convert(line_no, list(row)) == alone, (path.name, line_no)
                outcomes.add(type(alone).__name__ if alone is not SUPPRESSED else "suppressed")
        assert outcomes == seen, path.name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1303", "1303"), ("3", "1303"), ("13-03", "1303"), ("03", "1303"), ("", "")],
)
def test_it_writes_constituency_codes_as_department_and_two_digits(raw: str, expected: str) -> None:
    assert constituency_code("13", raw) == expected


# Re-imports and newer rolls ------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing() -> None:
    import_file(path=FIXTURES / "reu_sample.csv")
    before = list(Person.objects.order_by("id").values())
    consents = Consent.objects.count()
    summary = import_file(path=FIXTURES / "reu_sample.csv")
    assert summary.counts() == {
        "rows": 4,
        "created": 0,
        "updated": 0,
        "merged": 0,
        "unchanged": 4,
        "rejected": 0,
        "suppressed": 0,
        "removed": 0,
    }
    assert list(Person.objects.order_by("id").values()) == before
    assert Consent.objects.count() == consents


def test_a_newer_roll_updates_moved_voters_and_marks_absent_ones(tmp_path: Path) -> None:
    old = write_reu(
        tmp_path / "old.csv",
        [
            reu_row(1, "MARTIN"),
            reu_row(2, "DURAND", born="01/01/1950"),
            reu_row(3, "PETIT", born="02/02/1990"),
        ],
    )
    import_file(path=old)
    martin, durand, petit = (
        Person.objects.get(birth_name=n) for n in ("MARTIN", "DURAND", "PETIT")
    )
    new = write_reu(
        tmp_path / "new.csv",
        [
            reu_row(1, "MARTIN", street="RUE NEUVE"),  # same place, new address
            reu_row(4, "PETIT", born="02/02/1990", station="0003"),  # moved to station 3
            reu_row(2, "ROBERT", born="03/03/2001"),  # new voter who took DURAND's number
        ],
    )
    summary = import_file(path=new)
    assert (summary.created, summary.updated, summary.removed, summary.unchanged) == (1, 2, 1, 0)
    martin.refresh_from_db()
    petit.refresh_from_db()
    durand.refresh_from_db()
    assert martin.address_street == "RUE NEUVE"
    assert (petit.polling_station_code, petit.roll_number, petit.is_voter) == (
        "13999_0003",
        4,
        True,
    )
    assert (durand.is_voter, durand.roll_number) == (False, None)  # kept, no longer on the roll
    assert Person.objects.get(birth_name="ROBERT").roll_number == 2


def test_a_roll_of_a_known_commune_and_a_new_one_matches_the_first_and_creates_the_second(
    tmp_path: Path,
) -> None:
    """On PostgreSQL the new commune's rows go straight to the people table and the known
    commune's through matching; everywhere the outcome is the same."""
    import_file(path=write_reu(tmp_path / "old.csv", [reu_row(1, "MARTIN"), reu_row(2, "DURAND")]))
    rows = [reu_row(n, f"NOUVEAU{n}", commune="13998") for n in range(1, 4)]
    rows.insert(1, reu_row(1, "MARTIN", street="RUE NEUVE"))  # DURAND is gone from 13999
    rows.append(reu_row(3, "NOUVEAU3", commune="13998"))  # a repeated identity in the new commune
    summary = import_file(
        path=write_reu(tmp_path / "both.csv", rows), rejected_path=tmp_path / "rejets.csv"
    )
    assert (summary.created, summary.updated, summary.removed, summary.rejected) == (3, 1, 1, 1)
    assert Person.objects.get(birth_name="MARTIN").address_street == "RUE NEUVE"
    assert not Person.objects.get(birth_name="DURAND").is_voter
    newcomers = Person.objects.filter(roll_commune_code="13998")
    assert sorted(newcomers.values_list("roll_number", "is_voter")) == [
        (1, True),
        (2, True),
        (3, True),
    ]
    assert sorted(p.id for p in newcomers) == sorted(summary.new_ids)
    assert _rejected(summary.rejected_path)[1][-1] == "numéro d'ordre déjà présent ligne 5"


def test_cells_with_tabs_newlines_backslashes_and_braces_are_stored_as_they_are(
    tmp_path: Path,
) -> None:
    """On PostgreSQL these rows go straight to the people table as COPY text, where a tab,
    newline or backslash means something: what is stored must still be what the file says."""
    path = tmp_path / "roll.csv"
    odd = ["D\\AMOURS", "LE\tGALL", "O'NEIL {x}", 'DIT "LE GRAND"', "BAS\nDE LIGNE", "N"]
    rows = [reu_row(n, name.replace('"', '""')) for n, name in enumerate(odd, start=1)]
    rows[0][15] = "ESC. B\\2"  # complement 1, a backslash
    write_reu(path, rows)
    summary = import_file(path=path, source="REU")
    assert summary.created == len(odd), summary
    stored = dict(Person.objects.values_list("roll_number", "birth_name"))
    assert [stored[n] for n in range(1, len(odd) + 1)] == odd
    assert Person.objects.get(roll_number=1).address_complement == "ESC. B\\2"
    # Plain cells, and a source that needs escaping: in every new person's `sources`.
    plain = write_reu(tmp_path / "plain.csv", [reu_row(1, "MARTIN", commune="13998")])
    import_file(path=plain, source='Préfecture "{Bouches}" \\ 2026')
    assert Person.objects.get(birth_name="MARTIN").sources == ['Préfecture "{Bouches}" \\ 2026']


def test_copy_text_escapes_what_copy_would_misread_and_nothing_else() -> None:
    base_row = next(iter(_converted_sample()))
    plain = DirectRoute(known_communes=frozenset(), base=10, tail=("t", '["é"]'))
    text = plain.copy_text([base_row])
    assert text == copy_line(
        (10 + base_row[0], *base_row[1 : len(PERSON_COLUMNS) + 1], "t", '["é"]')
    )
    assert "\\" not in text.replace("\\N", "")  # nothing to escape in a plain row
    tricky = tuple(
        "a\tb\\c\nd\re" if isinstance(value, str) and value else value for value in base_row
    )
    assert plain.copy_text([tricky, base_row]) == "".join(
        copy_line((10 + row[0], *row[1 : len(PERSON_COLUMNS) + 1], "t", '["é"]'))
        for row in (tricky, base_row)
    )
    assert "a\\tb\\\\c\\nd\\re" in copy_line(("a\tb\\c\nd\re",))


def _converted_sample() -> list[tuple]:
    converter = _converter_for(FIXTURES / "reu_sample.csv", Ledger())
    numbers, rows, _problems = next(open_table(FIXTURES / "reu_sample.csv").batches(10))
    return converter.convert_rows(numbers, rows)[0]


@pytest.mark.django_db(transaction=True)
def test_other_connections_see_the_bar_move_before_anything_is_committed(tmp_path: Path) -> None:
    """A page polling the bar uses another connection: it must see the rows counted while the
    import runs (on PostgreSQL the import's transaction is open from the first row), and no
    person before the commit."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from maillage.core.models import TaskProgress
    from maillage.core.services import task_progress_create

    progress = task_progress_create(kind="people_import", label="test")
    path = write_reu(tmp_path / "roll.csv", [reu_row(n, f"NOM{n}") for n in range(1, 7)])
    seen: list[tuple[int, int]] = []
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    table = TaskProgress._meta.db_table

    key = TaskProgress._meta.pk.get_db_prep_value(progress.pk, other)  # type: ignore[union-attr]

    def look(done: int, total: int) -> None:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT done FROM {table} WHERE id = %s", [key])  # noqa: S608
            (bar,) = cursor.fetchone()
            cursor.execute("SELECT COUNT(*) FROM people_person")
            (people,) = cursor.fetchone()
        seen.append((bar, people))

    try:
        import_file(path=path, progress_id=progress.pk, on_batch=look, batch_size=2)
    finally:
        other.close()
    assert seen[:3] == [(2, 0), (4, 0), (6, 0)]
    assert Person.objects.count() == 6


def test_an_import_that_fails_while_reading_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The first batches may already be in the people table (direct on PostgreSQL): the
    transaction takes them back, and the connection is usable afterwards."""
    calls = []
    convert_rows = RowConverter.convert_rows

    def fail_on_the_second_batch(self, numbers, rows):  # type: ignore[no-untyped-def]
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return convert_rows(self, numbers, rows)

    monkeypatch.setattr(RowConverter, "convert_rows", fail_on_the_second_batch)
    path = write_reu(tmp_path / "roll.csv", [reu_row(n, f"NOM{n}") for n in range(1, 7)])
    with pytest.raises(RuntimeError):
        import_file(path=path, batch_size=3)
    assert calls == [3, 3]
    assert not Person.objects.exists()
    monkeypatch.setattr(RowConverter, "convert_rows", convert_rows)
    assert import_file(path=path, batch_size=3).created == 6


def test_a_rejected_row_of_a_newer_roll_does_not_mark_its_voter_absent(tmp_path: Path) -> None:
    import_file(path=write_reu(tmp_path / "old.csv", [reu_row(1, "MARTIN"), reu_row(2, "DURAND")]))
    summary = import_file(
        path=write_reu(
            tmp_path / "new.csv", [reu_row(1, "MARTIN"), reu_row(2, "DURAND", born="31/02/1980")]
        )
    )
    assert (summary.rejected, summary.removed) == (1, 0)
    assert Person.objects.get(birth_name="DURAND").is_voter


# Suppression ---------------------------------------------------------------------------------


def test_an_erased_person_is_not_recreated_by_a_reimport(tmp_path: Path) -> None:
    path = write_reu(
        tmp_path / "reu.csv", [reu_row(1, "MARTIN", "Camille"), reu_row(2, "DURAND", "Jean")]
    )
    import_file(path=path)
    martin = Person.objects.get(birth_name="MARTIN")
    suppression_add(
        kind="identity",
        value=identity_key(
            martin.birth_name,
            martin.first_names,
            martin.birth_year,
            martin.birth_month,
            martin.birth_day,
        ),
        scope="all",
    )
    martin.delete()
    summary = import_file(path=path)
    assert (summary.suppressed, summary.created, summary.unchanged) == (1, 0, 1)
    assert not Person.objects.filter(birth_name="MARTIN").exists()


def test_an_email_opt_out_keeps_the_address_without_consent(tmp_path: Path) -> None:
    suppression_add(kind="email", value="camille@example.org", scope="email")
    suppression_add(kind="email", value="erased@example.org", scope="all")
    path = write_plain(
        tmp_path / "list.csv",
        ["Nom", "E-mail", "Accord email"],
        [
            ["MARTIN", "Camille@example.org", "oui"],
            ["EFFACE", "erased@example.org", "oui"],
            ["DURAND", "jean@example.org", "oui"],
        ],
    )
    summary = import_file(path=path)
    assert (summary.created, summary.suppressed) == (2, 1)
    martin = Person.objects.get(birth_name="MARTIN")
    assert martin.emails.get().address == "camille@example.org"
    assert martin.consent_email is False
    assert Consent.objects.get(person=martin, channel="email").granted is False
    assert Person.objects.get(birth_name="DURAND").consent_email is True
    assert SuppressionEntry.objects.count() == 2


# Merges --------------------------------------------------------------------------------------


def test_it_merges_rows_into_people_with_the_same_email_or_phone(tmp_path: Path) -> None:
    by_email = EmailAddressFactory(address="camille@example.org").person
    by_phone = PhoneNumberFactory(number="+33612345678").person
    path = write_plain(
        tmp_path / "petition.csv",
        ["Nom", "Prénom", "E-mail", "Téléphone", "Profession"],
        [
            ["MARTIN", "Camille", "CAMILLE@example.org", "", "Infirmière"],
            ["DURAND", "Jean", "", "06 12 34 56 78", ""],
            ["NOUVEAU", "Zoé", "zoe@example.org", "", ""],
            [
                "NOUVEAU",
                "Zoé",
                "zoe@example.org",
                "07 81 23 45 67",
                "",
            ],  # same person twice in the file
        ],
    )
    summary = import_file(path=path, source="Pétition école")
    assert (summary.created, summary.merged) == (1, 3)
    assert Person.objects.count() == 3
    by_email.refresh_from_db()
    assert "Pétition école" in by_email.sources and by_email.is_contact
    assert by_email.tags.get().slug == "infirmiere"
    zoe = Person.objects.get(birth_name="NOUVEAU")
    assert set(zoe.phones.values_list("number", flat=True)) == {"+33781234567"}
    assert by_phone.phones.count() == 1


# Dry run, failure, jobs, commands ------------------------------------------------------------


def test_a_dry_run_counts_everything_and_writes_nothing() -> None:
    summary = import_file(path=FIXTURES / "reu_sample.csv", dry_run=True)
    assert summary.created == 4
    assert not Person.objects.exists() and not Consent.objects.exists()


def test_a_failing_import_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def explode(self, now, live, pid):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer_module.StagingWriter, "_consents", explode)
    path = write_plain(
        tmp_path / "list.csv", ["Nom", "E-mail"], [["MARTIN", "camille@example.org"]]
    )
    job = import_job_create(actor=None, path=path, original_name="list.csv", source="s")
    with pytest.raises(RuntimeError):
        import_job_run(job_id=job.pk)
    assert not Person.objects.exists() and not EmailAddress.objects.exists()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "rien n'a été enregistré" in job.error


def test_a_job_runs_once_and_is_audit_logged() -> None:
    job = import_job_create(
        actor=None, path=FIXTURES / "reu_sample.csv", original_name="reu.csv", source="REU"
    )
    import_job_run(job_id=job.pk)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportJob.Status.SUCCEEDED, 4)
    assert Person.objects.count() == 4
    entry = AuditLogEntry.objects.get(action=AuditLogEntry.Action.IMPORT)
    assert entry.changes["created"] == 4
    assert job.progress.percent == 100


def test_the_task_runs_the_job_by_id() -> None:
    from maillage.people.tasks import import_job_task

    job = import_job_create(
        actor=None, path=FIXTURES / "elistelec_sample.csv", original_name="e.csv", source="e"
    )
    import_job_task.enqueue(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED


def test_the_command_imports_and_prints_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("import_people", str(FIXTURES / "reu_sample.csv"), "--source", "REU")
    assert "créées 4" in capsys.readouterr().out
    assert Person.objects.count() == 4


def test_the_command_dry_run_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("import_people", str(FIXTURES / "reu_sample.csv"), "--dry-run")
    assert "ESSAI" in capsys.readouterr().out
    assert not Person.objects.exists()


def test_the_command_takes_a_mapping_file(tmp_path: Path) -> None:
    path = write_plain(
        tmp_path / "list.csv", ["Famille", "Mél"], [["MARTIN", "camille@example.org"]]
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"Famille": "birth_name", "Mél": "email"}', encoding="utf-8")
    call_command("import_people", str(path), "--preset", "generic", "--mapping", str(mapping))
    assert Person.objects.get().emails.get().address == "camille@example.org"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["/nonexistent.csv"], "introuvable"),
        ([str(FIXTURES / "elistelec_sample.csv"), "--preset", "reu"], "27 colonnes"),
        (
            [str(FIXTURES / "reu_sample.csv"), "--mapping", "/nonexistent.json"],
            "correspondance illisible",
        ),
    ],
)
def test_the_command_fails_with_one_clear_line(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("import_people", *arguments)
    assert not Person.objects.exists()


def test_the_command_exits_non_zero_on_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import execute_from_command_line

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x00")
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["maillage", "import_people", str(bad)])
    assert exit_info.value.code == 1
    error = capsys.readouterr().err
    assert "binaire" in error and "Traceback" not in error


def test_generate_roll_writes_a_seeded_reu_file_with_the_asked_bad_rows(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    call_command(
        "generate_roll",
        str(first),
        "--rows",
        "300",
        "--seed",
        "7",
        "--stations",
        "3",
        "--bad-rows",
        "6",
    )
    call_command(
        "generate_roll",
        str(second),
        "--rows",
        "300",
        "--seed",
        "7",
        "--stations",
        "3",
        "--bad-rows",
        "6",
    )
    assert first.read_bytes() == second.read_bytes()
    summary = import_file(path=first)
    assert (summary.created, summary.rejected) == (294, 6)
    assert Person.objects.values("polling_station_code").distinct().count() == 3


def test_tags_are_created_once_per_slug(tmp_path: Path) -> None:
    path = write_plain(
        tmp_path / "l.csv",
        ["Nom", "Profession"],
        [["A", "Infirmière"], ["B", "infirmiere"], ["C", "INFIRMIÈRE"]],
    )
    import_file(path=path)
    assert Tag.objects.count() == 1
    assert Tag.objects.get().people.count() == 3


def test_ds_elistelec_rows_helper_matches_headers() -> None:
    from maillage.people.imports.presets import ELISTELEC_HEADERS

    assert len(elistelec_row(1)) == len(ELISTELEC_HEADERS) == 29


def test_a_load_bigger_than_the_table_rebuilds_the_same_indexes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connection

    def index_names() -> set[str]:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, "people_person")
        return {name for name, info in constraints.items() if info["index"]}

    before = index_names()
    monkeypatch.setattr(writer_module, "BULK_ROWS", 1)
    assert import_file(path=FIXTURES / "reu_sample.csv").created == 4
    assert index_names() == before
    assert Person.objects.filter(polling_station_code="13999_0001").count() == 3


def test_indexes_are_rebuilt_for_many_new_people_never_for_a_re_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A re-import matches everyone and creates nobody: dropping and rebuilding the indexes of
    the whole table would cost seconds per million people for nothing. A roll of another
    commune, all new people, is a bulk load again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def drops(path: Path) -> int:
        with CaptureQueriesContext(connection) as queries:
            import_file(path=path)
        return sum(q["sql"].startswith("DROP INDEX") for q in queries.captured_queries)

    monkeypatch.setattr(writer_module, "BULK_ROWS", 1)
    first = write_reu(tmp_path / "a.csv", [reu_row(n) for n in range(1, 5)])
    other = write_reu(tmp_path / "b.csv", [reu_row(n, commune="13998") for n in range(1, 9)])
    assert drops(first) > 0  # four new people into an empty table
    assert drops(first) == 0  # the same four: nothing new
    assert Person.objects.count() == 4
    assert drops(other) > 0  # eight new people, more than the table holds
    assert Person.objects.count() == 12
    assert Person.objects.filter(roll_commune_code="13998").count() == 8


def test_a_re_import_clears_the_coordinates_of_changed_addresses_only(tmp_path: Path) -> None:
    import_file(path=FIXTURES / "reu_sample.csv", source="REU test")
    Person.objects.update(latitude=43.3, longitude=5.4, geocode_score=90, geocode_status=1)
    text = (FIXTURES / "reu_sample.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[1] = lines[1].replace('"RUE DU PORT"', '"RUE NEUVE"')  # MARTIN moved
    lines[2] = lines[2].replace('"Jean"', '"Jean Paul"')  # DURAND: a change, same address
    changed = tmp_path / "reu_2.csv"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_file(path=changed, source="REU test")
    assert summary.updated == 2
    located = dict(Person.objects.values_list("birth_name", "latitude"))
    assert located == {"MARTIN": None, "DURAND": 43.3, "LEFÈVRE": 43.3, "PETIT": 43.3}
    martin = Person.objects.get(birth_name="MARTIN")
    assert (martin.geocode_status, martin.geocode_score, martin.longitude) == (None, None, None)
