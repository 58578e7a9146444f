"""People imports against hostile files: zip bombs, over-long values, wide rows, UTF-16, a
database that goes away mid-import. Every refusal is one line and leaves nothing behind."""

from __future__ import annotations

import codecs
import csv
import time
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from maillage.core.tests.workbooks import shared_string_bomb, sheet_xml, write_workbook
from maillage.people.imports.presets import REU_HEADERS
from maillage.people.imports.preview import import_job_preview
from maillage.people.models import ImportJob, Person, Tag
from maillage.people.services.imports import import_job_create
from maillage.people.tests.fixtures.helpers import reu_row, write_plain, write_reu
from maillage.territory.models import PollingStation

pytestmark = pytest.mark.django_db

HEADERS = ["nom", "prénom", "ville"]


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.MAILLAGE_UPLOAD_DIR


def refused(path: Path, *args: str) -> str:
    """The one-line error of `import_people` on a refused file; nothing may have been written."""
    with pytest.raises(CommandError) as error:
        call_command("import_people", str(path), *args, "--no-dedupe", stdout=_Sink())
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    assert Person.objects.count() == 0
    return message


class _Sink:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def rejected_rows(tmp_path: Path) -> list[list[str]]:
    job = ImportJob.objects.get()
    if not job.rejected_path:
        return []
    with open(job.rejected_path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))[1:]


# Item 3: XLSX decompression bombs --------------------------------------------------------------


def test_an_xlsx_expanding_past_the_cap_is_refused_from_its_zip_directory(
    tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_IMPORT_XLSX_MAX_BYTES = 1 << 20
    bomb = shared_string_bomb(
        tmp_path / "bomb.xlsx", [HEADERS, ["#s:0", "Ana", "Aix"]], megabytes=2
    )
    message = refused(bomb, "--preset", "generic")
    assert "dépasse 1 Mo" in message
    assert not (Path(settings.MAILLAGE_UPLOAD_DIR) / "rejected").exists()


def test_the_default_cap_refuses_a_gigabyte_bomb_at_once_in_little_memory(tmp_path: Path) -> None:
    bomb = shared_string_bomb(
        tmp_path / "bomb.xlsx", [HEADERS, ["#s:0", "Ana", "Aix"]], megabytes=1024
    )
    assert bomb.stat().st_size < 10 << 20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = refused(bomb, "--preset", "generic")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "dépasse 200 Mo (1024 Mo déclarés)" in message
    assert time.perf_counter() - started < 5
    assert peak < 30 << 20


def test_a_bomb_whose_zip_directory_lies_is_refused_while_decompressing(tmp_path: Path) -> None:
    """The directory claims a kilobyte; the part holds 300 MB: reading stops at the claim."""
    bomb = shared_string_bomb(
        tmp_path / "bomb.xlsx", [HEADERS, ["#s:0", "Ana", "Aix"]], megabytes=300, declared=1000
    )
    tracemalloc.start()
    try:
        message = refused(bomb, "--preset", "generic")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "illisible ou endommagé" in message
    assert peak < 30 << 20


def test_a_shared_string_far_past_the_cell_limit_is_refused_before_openpyxl_reads_it(
    tmp_path: Path,
) -> None:
    """Within the zip cap, but one cell of 100 MB: refused by the record limit, in little memory."""
    bomb = shared_string_bomb(
        tmp_path / "big.xlsx", [HEADERS, ["#s:0", "Ana", "Aix"]], megabytes=100
    )
    tracemalloc.start()
    try:
        message = refused(bomb, "--preset", "generic")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "dépasse 16 Mo de XML" in message
    assert peak < 30 << 20


def test_an_xlsx_cell_longer_than_the_cell_limit_rejects_its_row_only(
    tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_IMPORT_MAX_CELL_CHARS = 1000
    path = write_workbook(
        tmp_path / "list.xlsx",
        [
            HEADERS,
            ["MARTIN", "Ana", "Aix"],
            ["DURAND", "B" * 5000, "Arles"],
            ["LEROY", "Léa", "Apt"],
        ],
    )
    call_command("import_people", str(path), "--preset", "generic", "--no-dedupe", stdout=_Sink())
    assert sorted(Person.objects.values_list("birth_name", flat=True)) == ["LEROY", "MARTIN"]
    [row] = rejected_rows(tmp_path)
    assert row[0] == "DURAND" and row[1] == "B" * 1000 + "…"
    assert row[-1] == "cellule de 5000 caractères en colonne 2, 1000 au plus"


def test_the_upload_page_refuses_a_bomb_in_its_form(tmp_path: Path, client, settings) -> None:  # type: ignore[no-untyped-def]
    """The web upload died with MemoryError on the mapping page: now the form says why."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from maillage.accounts.tests.factories import UserFactory
    from maillage.core.roles import Role

    settings.MAILLAGE_IMPORT_XLSX_MAX_BYTES = 1 << 20
    bomb = shared_string_bomb(
        tmp_path / "bomb.xlsx", [HEADERS, ["#s:0", "Ana", "Aix"]], megabytes=2
    )
    client.force_login(
        UserFactory(role=Role.STAFF), backend="maillage.accounts.backends.AccountBackend"
    )
    response = client.post(
        reverse("people:import_list"),
        {"file": SimpleUploadedFile("bomb.xlsx", bomb.read_bytes()), "source": "Pétition"},
    )
    assert response.status_code == 200
    assert "le classeur décompressé dépasse 1 Mo (2 Mo déclarés)" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not list((Path(settings.MAILLAGE_UPLOAD_DIR) / "people").glob("*"))


def test_the_mapping_screen_shows_the_beginning_of_a_long_cell(tmp_path: Path) -> None:
    path = write_plain(tmp_path / "list.csv", HEADERS, [["MARTIN", "A" * 500_000, "Aix"]])
    job = import_job_create(actor=None, path=path, original_name="list.csv", source="list")
    preview = import_job_preview(job=job)
    assert preview.rows == [["MARTIN", "A" * 200 + "…", "Aix"]]


def test_a_sheet_with_rows_past_the_row_cap_is_refused_before_reading(
    tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    """A row numbered far away would make openpyxl yield every empty row before it."""
    settings.MAILLAGE_IMPORT_XLSX_MAX_ROWS = 1000
    sheet = sheet_xml(
        [(1, HEADERS), (2, ["MARTIN", "Ana", "Aix"]), (5000, ["LEROY", "Léa", "Apt"])]
    )
    path = write_workbook(tmp_path / "far.xlsx", [], sheet=sheet)
    assert "la feuille dépasse 1000 lignes" in refused(path, "--preset", "generic")


def test_an_xlsx_declaring_entities_is_one_line(tmp_path: Path) -> None:
    prolog = '<!DOCTYPE worksheet [<!ENTITY lol "lol">]>'
    sheet = sheet_xml([(1, HEADERS), (2, ["MARTIN", "Ana", "Aix"])], prolog=prolog)
    path = write_workbook(tmp_path / "entities.xlsx", [], sheet=sheet)
    assert "entités XML" in refused(path, "--preset", "generic")


def test_an_xlsx_breaking_down_after_its_header_is_one_line(tmp_path: Path) -> None:
    """The header reads fine; a later row's XML does not (openpyxl's parser error)."""
    sheet = (
        sheet_xml([(1, HEADERS), (2, ["MARTIN", "Ana", "Aix"]), (3, ["LEROY", "Léa", "Apt"])])
        .replace(b"<sheetData>", b'<dimension ref="A1:C3"/><sheetData>')
        .replace(b"</row></sheetData>", b"</rov></sheetData>")
    )
    path = write_workbook(tmp_path / "broken.xlsx", [], sheet=sheet)
    assert refused(path, "--preset", "generic") == "Ce classeur XLSX est illisible ou endommagé."


# Item 4: values longer than their column ------------------------------------------------------


def test_values_longer_than_their_column_reject_their_row_on_every_database(
    tmp_path: Path,
) -> None:
    """The same file on SQLite and PostgreSQL: the same rows stored, the same reasons."""
    rows = [reu_row(n, f"NOM{n}", station=f"{1 + n % 3:04d}") for n in range(1, 41)]
    rows[4] = reu_row(5, "NOM5", first_names="É" * 204)
    rows[9] = reu_row(10, "N" * 1_000_000)  # a megabyte name: under the cell limit, over the column
    rows[14][REU_HEADERS.index("libellé du bureau de vote")] = "B" * 151
    rows[19][REU_HEADERS.index("numéro d'ordre dans le bureau de vote")] = "99999999999"
    rows[24][REU_HEADERS.index("code département de naissance")] = "123456"
    path = write_reu(tmp_path / "roll.csv", rows)
    call_command("import_people", str(path), "--no-dedupe", stdout=_Sink())
    assert Person.objects.count() == 35
    assert not Person.objects.filter(roll_number__in=[5, 10, 15, 20, 25]).exists()
    reasons = {int(row[-2]): row[-1] for row in rejected_rows(tmp_path)}
    assert reasons == {
        6: "prénoms : 204 caractères, 200 au plus",
        11: "nom de naissance : 1000000 caractères, 150 au plus",
        16: "libellé du bureau de vote : 151 caractères, 150 au plus",
        21: "numéro d'ordre invalide : 99999999999",
        26: "département de naissance : 6 caractères, 5 au plus",
    }
    assert all(len(label) <= 150 for label in PollingStation.objects.values_list("name", flat=True))


def test_contact_values_longer_than_their_column_reject_their_row(tmp_path: Path) -> None:
    tag = "t" * (Tag._meta.get_field("name").max_length + 1)
    email = "a" * 250 + "@exemple.fr"
    path = write_plain(
        tmp_path / "list.csv",
        ["nom", "prénom", "email", "tag"],
        [
            ["MARTIN", "Ana", "ana@exemple.fr", "œ" * 100],
            ["DURAND", "Léo", email, ""],
            ["LEROY", "Léa", "", tag],
        ],
    )
    call_command("import_people", str(path), "--preset", "generic", "--no-dedupe", stdout=_Sink())
    assert list(Person.objects.values_list("birth_name", flat=True)) == ["MARTIN"]
    # A tag of the longest name: its slug (œ folds to oe) is cut to the slug's column.
    assert len(Tag.objects.get().slug) == Tag._meta.get_field("slug").max_length
    assert {int(row[-2]): row[-1] for row in rejected_rows(tmp_path)} == {
        3: "e-mail : 261 caractères, 254 au plus",
        4: f"étiquette : {len(tag)} caractères, 100 au plus",
    }


# Item 11: wide rows ---------------------------------------------------------------------------


def test_a_row_filling_more_extra_columns_than_the_cap_is_rejected(
    tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_IMPORT_MAX_EXTRA_COLUMNS = 3
    headers = ["nom", "prénom", "x1", "x2", "x3", "x4", "x5"]
    path = write_plain(
        tmp_path / "wide.csv",
        headers,
        [["MARTIN", "Ana", "1", "2", "", "", ""], ["DURAND", "Léo", "1", "2", "3", "4", ""]],
    )
    call_command("import_people", str(path), "--preset", "generic", "--no-dedupe", stdout=_Sink())
    assert Person.objects.get().extra == {"x1": "1", "x2": "2"}
    [row] = rejected_rows(tmp_path)
    assert row[-1] == (
        "colonnes supplémentaires remplies : 4, 3 au plus "
        "(associez-les à des champs ou retirez-les du fichier)"
    )


def test_a_file_with_more_columns_than_the_cap_is_refused(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_IMPORT_MAX_COLUMNS = 10
    headers = ["nom", "prénom", *(f"x{n}" for n in range(10))]
    path = write_plain(tmp_path / "wide.csv", headers, [["MARTIN", "Ana", *"0123456789"]])
    assert refused(path, "--preset", "generic") == "Le fichier a 12 colonnes, 10 au plus."
    xlsx = write_workbook(tmp_path / "wide.xlsx", [headers, ["MARTIN", "Ana", *"0123456789"]])
    assert refused(xlsx, "--preset", "generic") == "Le fichier a 12 colonnes, 10 au plus."


# Item 10: UTF-16 ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_read_in_blocks(tmp_path: Path, encoding: str) -> None:
    """Excel's "Unicode text": tab-separated UTF-16 with a BOM, bigger than a read block."""
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    lines = ["nom\tprénom\tville", *(f"NOM{n}\tÉloïse\tSaint-Étienne" for n in range(40_000))]
    path = tmp_path / "unicode.txt"
    path.write_bytes(bom + ("\r\n".join(lines) + "\r\n").encode(encoding))
    assert path.stat().st_size > 2 << 20
    call_command("import_people", str(path), "--preset", "generic", "--no-dedupe", stdout=_Sink())
    assert Person.objects.count() == 40_000
    assert Person.objects.filter(birth_name="NOM39999", first_names="Éloïse").exists()


def test_utf16_without_a_byte_order_mark_says_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("nom\tprénom\nMARTIN\tAna\n".encode("utf-16-le"))
    assert refused(path, "--preset", "generic") == (
        "Ce fichier semble être en UTF-16 sans marque d'ordre des octets (BOM) : "
        "enregistrez-le en UTF-8, ou en UTF-16 avec BOM (« Texte Unicode » d'Excel)."
    )


# Item 9: the database goes away mid-import ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_database_lost_mid_import_is_one_line_from_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """PostgreSQL: another session ends the import's backend (pg_terminate_backend) as the
    first rows are written. SQLite: the database turns read-only at the same point."""
    from maillage.cli import main
    from maillage.people.imports import writer

    path = write_reu(tmp_path / "roll.csv", [reu_row(n, f"NOM{n}") for n in range(1, 30)])
    original = writer.StagingWriter.add

    def add_after_failure(self, rows):  # type: ignore[no-untyped-def]
        _fail_database()
        return original(self, rows)

    monkeypatch.setattr(writer.StagingWriter, "add", add_after_failure)
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["maillage", "import_people", str(path), "--no-dedupe"])
    finally:
        _restore_database()
    error = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert "Traceback" not in error
    assert error.count("\n") == 1 and error.startswith(
        "CommandError: La base de données a interrompu l'import ("
    )
    assert error.endswith(") ; rien n'a été enregistré.\n")
    assert Person.objects.count() == 0


def _fail_database() -> None:
    if connection.vendor == "postgresql":
        import psycopg

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = ON")


def _restore_database() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")
