"""Importers on every stored format, every encoding met in official files, and broken files."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from maillage.elections.importers import ResultFileError, detect_format, open_results
from maillage.elections.importers.base import (
    parse_count,
    parse_elected,
    round_from_name,
)
from maillage.elections.importers.csv import detect_encoding
from maillage.elections.tests import helpers


def parse(path: Path, **kwargs: object) -> tuple[object, list]:
    info, stream = open_results(path, **kwargs)  # type: ignore[arg-type]
    return info, list(stream)


def by_code(areas: list) -> dict:
    return {(area.code, area.round_number): area for area in areas}


# ---- XLSX -------------------------------------------------------------------------------


def test_it_reads_the_2024_first_round_workbook_with_numeric_codes() -> None:
    info, areas = parse(helpers.LG2024_T1)
    assert (info.format, info.round_hint, len(areas)) == ("xlsx", 1, 577)
    codes = {area.code for area in areas}
    assert {"0101", "2A01", "2B02", "97101", "98801", "ZX01", "ZZ04", "0703"} <= codes
    ardeche = next(area for area in areas if area.code == "0703")
    assert (ardeche.registered, ardeche.voters, ardeche.cast, ardeche.abstentions) == (
        81022,
        58687,
        57371,
        22335,
    )
    assert (ardeche.blank_ballots, ardeche.null_ballots, ardeche.department_name) == (
        845,
        471,
        "Ardèche",
    )
    assert [c.last_name for c in ardeche.candidates][:3] == [
        "FAURE",
        "ZAGUEDOUN-REYNAUD",
        "BONNETAIN",
    ]  # ballot order kept
    grangier = ardeche.candidates[7]
    assert (grangier.panel_number, grangier.nuance_code, grangier.votes, grangier.civility) == (
        8,
        "RN",
        18328,
        "M.",
    )
    assert sum(len(area.candidates) for area in areas) == 4009
    assert sum(1 for area in areas for c in area.candidates if c.elected) == 76


def test_it_reads_the_2024_second_round_workbook_with_text_codes_and_three_way_races() -> None:
    info, areas = parse(helpers.LG2024_T2)
    assert (info.round_hint, len(areas)) == (2, 501)
    sizes = Counter(len(area.candidates) for area in areas)
    assert sizes == {2: 409, 3: 89, 4: 2, 1: 1}
    assert {area.code for area in areas} >= {"0101", "9103", "0703"}
    assert sum(1 for area in areas for c in area.candidates if c.elected) == 501


def test_it_finds_the_constituency_sheet_of_the_2017_workbook_and_its_letter_codes() -> None:
    info, areas = parse(helpers.LG2017_T1)
    assert (info.round_hint, len(areas)) == (1, 577)
    codes = {area.code for area in areas}
    assert {"97101", "98601", "97501", "ZX01", "ZZ11", "4504", "2A02"} <= codes
    gard = next(area for area in areas if area.code == "3002")
    assert any(c.first_name == "." and c.last_name == "MARIE SARA" for c in gard.candidates)
    assert sum(1 for area in areas for c in area.candidates if c.elected) == 4


# ---- CSV --------------------------------------------------------------------------------


def test_it_reads_the_cp850_one_row_per_candidate_csv() -> None:
    info, areas = parse(helpers.LG2024_CSV_CP850)
    assert (info.format, info.encoding) == ("csv", "cp850")
    assert len(areas) == 577
    assert sum(len(area.candidates) for area in areas) == 4009
    first = areas[0]
    assert (first.code, first.candidates[0].first_name, first.candidates[1].last_name) == (
        "0101",
        "Éric",
        "MAÎTRE",
    )
    assert first.candidates[1].qualified and not first.candidates[1].elected
    assert {"97101", "98801", "ZX01", "ZZ04"} <= {
        area.code for area in areas
    }  # "97"/"98" completed from the code


def test_it_reads_per_bureau_tables_quoted_or_not_and_pads_bureau_codes() -> None:
    _, first = parse(helpers.BUREAUX_T1)
    _, second = parse(helpers.BUREAUX_T2)
    assert len(first) == len(second) == 201
    assert first[0].level == "polling_station"
    assert (first[0].code, second[0].code) == ("29011_0001", "29011_0001")
    assert (first[0].commune_code, first[0].station_number, first[0].constituency_code) == (
        "29011",
        "0001",
        "",
    )
    assert sum(area.registered for area in second) == 78185 + 93868


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "iso-8859-1", "cp850"])
def test_it_detects_every_encoding_of_official_files(tmp_path: Path, encoding: str) -> None:
    text = helpers.LG2024_CSV_CP850.read_bytes()[:20000].decode("cp850")
    text = text[: text.rfind("\r\n") + 2]
    path = tmp_path / "resultats.csv"
    path.write_bytes(text.encode(encoding))
    info, areas = parse(path)
    expected = "cp1252" if encoding == "iso-8859-1" else encoding  # Latin-1 is read as its superset
    assert info.encoding == expected
    assert areas[0].candidates[0].first_name == "Éric"
    assert areas[0].candidates[1].last_name == "MAÎTRE"


def test_it_reads_a_2022_style_ragged_table_in_latin_1(tmp_path: Path) -> None:
    path = tmp_path / "resultats-par-niveau-cirlg-t1-france-entiere.txt"
    text = helpers.table_2022(
        [
            (
                "01",
                "Ain",
                "1",
                "1ère circonscription",
                [
                    (1, "F", "LÉPAGNOT", "Maude", "EXG", 293, ""),
                    (2, "M", "BRETON", "Xavier", "LR", 900, ""),
                ],
            ),
            (
                "ZZ",
                "Français établis hors de France",
                "4",
                "4e",
                [
                    (1, "M", "ANGLADE", "Pieyre-Alexandre", "ENS", 500, "Elu"),
                    (2, "F", "GONDARD", "Cécilia", "NUP", 300, ""),
                    (3, "F", "MÜLLBACHER", "Anne", "DVD", 40, ""),
                ],
            ),
        ]
    )
    path.write_bytes(text.encode("iso-8859-1"))
    info, areas = parse(path)
    assert (info.round_hint, info.encoding) == (1, "cp1252")
    assert [area.code for area in areas] == ["0101", "ZZ04"]
    assert [c.last_name for c in areas[1].candidates] == ["ANGLADE", "GONDARD", "MÜLLBACHER"]
    assert areas[1].candidates[0].elected and areas[1].candidates[1].civility == "Mme"


def test_it_honours_a_forced_encoding(tmp_path: Path) -> None:
    path = tmp_path / "t1.csv"
    text = helpers.LG2024_CSV_CP850.read_bytes()[:5000]
    path.write_bytes(text[: text.rfind(b"\r\n") + 2])
    info, areas = parse(path, encoding="iso-8859-1")
    assert info.encoding == "iso-8859-1"
    assert areas[0].candidates[0].first_name == "\x90ric"  # what a wrong guess gives: mojibake
    with pytest.raises(ResultFileError, match="encodage inconnu"):
        parse(path, encoding="klingon")


# ---- XML --------------------------------------------------------------------------------


def test_it_reads_a_ministry_xml_with_both_rounds_of_an_arrondissement() -> None:
    info, areas = parse(helpers.XML_ARRONDISSEMENT)
    assert (info.format, info.election_type_hint, info.year_hint) == ("xml", "presidential", 2017)
    assert [(a.code, a.round_number, a.level) for a in areas] == [
        ("75101", 1, "commune"),
        ("75101", 2, "commune"),
    ]
    first = areas[0]
    assert (
        first.registered,
        first.abstentions,
        first.voters,
        first.blank_ballots,
        first.null_ballots,
        first.cast,
    ) == (11262, 4539, 6723, 207, 132, 6384)
    assert (
        first.candidates[0].last_name,
        first.candidates[0].votes,
        first.candidates[0].civility,
    ) == ("HORTALA", 274, "M.")


def test_it_reads_department_and_commune_list_files() -> None:
    _, department = parse(helpers.XML_DEPARTMENT)
    assert {(a.level, a.code) for a in department} == {("department", "75")}
    _, communes = parse(helpers.XML_COMMUNES)
    assert {a.level for a in communes} == {"commune"}
    assert ("75056", 1) in by_code(communes)
    _, overseas = parse(helpers.XML_OVERSEAS_COMMUNE)
    assert overseas[0].code == "97101" and overseas[0].department_code == "971"


def test_it_reads_a_region_file() -> None:
    _, areas = parse(helpers.XML_REGION)
    assert [(a.level, a.code, a.name, a.round_number) for a in areas] == [
        ("region", "01", "Guadeloupe", 1),
        ("region", "01", "Guadeloupe", 2),
    ]


def test_it_refuses_an_index_file_with_a_clear_message() -> None:
    with pytest.raises(ResultFileError, match="aucun résultat"):
        parse(helpers.XML_INDEX)


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1"])
def test_it_reads_the_legislative_xml_schema_in_its_declared_encoding(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "R207CIR.xml"
    path.write_bytes(helpers.legislative_xml(encoding=encoding).encode(encoding))
    info, areas = parse(path)
    assert (info.election_type_hint, info.encoding) == ("legislative", encoding.lower())
    assert [(a.code, a.round_number, a.level) for a in areas] == [
        ("0703", 1, "constituency"),
        ("0703", 2, "constituency"),
    ]
    second = areas[1]
    assert [(c.last_name, c.votes, c.elected) for c in second.candidates] == [
        ("PALLOT", 18125, False),
        ("BRUN", 20414, True),
        ("GRANGIER", 20379, False),
    ]
    assert areas[0].candidates[3].qualified and areas[0].candidates[3].civility == "Mme"
    assert (
        second.candidates[1].first_name == "Fabrice"
        and areas[0].candidates[1].first_name == "Félix"
    )


# ---- broken files -----------------------------------------------------------------------


def test_a_truncated_xml_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "075056AR01.xml"
    path.write_bytes(helpers.XML_ARRONDISSEMENT.read_bytes()[:3000])
    with pytest.raises(ResultFileError, match=r"XML mal formé ligne \d+, colonne \d+"):
        parse(path)


def test_an_entity_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    lols = "".join(
        f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" * 1}{("&lol" + str(i - 1) + ";") * 9}">'
        for i in range(1, 10)
    )
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE Election [<!ENTITY lol0 "lol">{lols}]>'
        "<Election><Departement><CodDpt>75</CodDpt><Tours><Tour><NumTour>1</NumTour><Mentions><Inscrits><Nombre>&lol9;</Nombre>"
        "</Inscrits></Mentions></Tour></Tours></Departement></Election>",
        encoding="utf-8",
    )
    with pytest.raises(ResultFileError, match="entités"):
        parse(path)


def test_an_external_entity_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "xxe.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE Election [<!ENTITY x SYSTEM "file:///etc/passwd">]><Election>&x;</Election>',
        encoding="utf-8",
    )
    with pytest.raises(ResultFileError, match="entités"):
        parse(path)


def test_a_table_with_the_wrong_columns_is_refused_naming_what_it_found(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("Nom;Prénom;Téléphone\nDUPONT;Jean;0600000000\n", encoding="utf-8")
    with pytest.raises(
        ResultFileError, match="colonnes non reconnues.*« Nom », « Prénom », « Téléphone »"
    ):
        parse(path)


def test_a_bad_number_is_refused_naming_line_and_column(tmp_path: Path) -> None:
    text = helpers.table_2022(
        [
            ("01", "Ain", "1", "1re", [(1, "F", "A", "B", "EXG", 10, "")]),
            ("01", "Ain", "2", "2e", [(1, "F", "C", "D", "EXG", 10, "")]),
        ]
    )
    lines = text.split("\r\n")
    fields = lines[2].split(";")
    fields[5] = "2O"  # Inscrits, with a letter O
    lines[2] = ";".join(fields)
    path = tmp_path / "t1.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    with pytest.raises(
        ResultFileError,
        match=r"t1.csv ligne 3, colonne « Inscrits » : « 2O » n'est pas un nombre entier",
    ):
        parse(path)


def test_a_bad_vote_count_names_the_candidate_block(tmp_path: Path) -> None:
    text = helpers.table_2022(
        [
            (
                "01",
                "Ain",
                "1",
                "1re",
                [(1, "F", "A", "B", "EXG", 10, ""), (2, "M", "C", "D", "LR", 5, "")],
            )
        ]
    )
    path = tmp_path / "t1.csv"
    path.write_text(text.replace(";LR;5;", ";LR;cinq;"), encoding="utf-8")
    with pytest.raises(ResultFileError, match="ligne 2, candidat 2, voix : « cinq »"):
        parse(path)


def test_a_bad_department_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t1.csv"
    path.write_text(
        helpers.table_2022([("20", "Corse", "1", "1re", [(1, "F", "A", "B", "EXG", 10, "")])]),
        encoding="utf-8",
    )
    with pytest.raises(ResultFileError, match="ligne 2, département : « 20 » est ambigu"):
        parse(path)


def test_an_area_repeated_further_down_is_refused(tmp_path: Path) -> None:
    rows = [
        ("01", "Ain", "1", "1re", [(1, "F", "A", "B", "EXG", 10, "")]),
        ("01", "Ain", "2", "2e", [(1, "F", "C", "D", "EXG", 10, "")]),
    ]
    path = tmp_path / "t1.csv"
    path.write_text(helpers.table_2022(rows + rows[:1]), encoding="utf-8")
    with pytest.raises(ResultFileError, match="ligne 4 : la zone 0101 apparaît deux fois"):
        parse(path)


def test_empty_binary_and_fake_workbooks_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    with pytest.raises(ResultFileError, match="vide"):
        detect_format(empty)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(ResultFileError, match=r"\.xls"):
        detect_format(xls)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04" + b"garbage" * 50)
    with pytest.raises(ResultFileError, match="classeur XLSX illisible"):
        parse(fake)
    with pytest.raises(ResultFileError, match="format inconnu"):
        parse(helpers.BUREAUX_T1, format="pdf")


def test_formats_are_detected_by_content() -> None:
    assert detect_format(helpers.LG2024_T1) == "xlsx"
    assert detect_format(helpers.XML_DEPARTMENT) == "xml"
    assert detect_format(helpers.LG2024_CSV_CP850) == "csv"


# ---- cell readers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (12, 12),
        (12.0, 12),
        ("12", 12),
        (" 1 234 ", 1234),
        ("1\u00a0234", 1234),
        ("1\u202f234", 1234),
        ("1234,00", 1234),
        (Decimal("5"), 5),
        ("", None),
        (None, None),
    ],
)
def test_counts_are_read_from_numbers_or_text(raw: object, expected: int | None) -> None:
    assert parse_count(raw, where="x", required=False) == expected


@pytest.mark.parametrize("raw", ["12,5", "1.5e3", "abc", 12.5, True, "-3"])
def test_counts_that_are_not_whole_numbers_are_refused(raw: object) -> None:
    with pytest.raises(ResultFileError):
        parse_count(raw, where="x")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Elu", (True, False)),
        ("élu", (True, False)),
        ("OUI", (True, False)),
        ("QUALIF T2", (False, True)),
        ("NON", (False, False)),
        (None, (False, False)),
    ],
)
def test_elected_markers_of_every_vintage_are_understood(
    raw: object, expected: tuple[bool, bool]
) -> None:
    assert parse_elected(raw) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Leg_2024_Resultats_T1_officiel.xlsx", 1),
        ("circos23-tour2.csv", 2),
        ("Circo. leg. T2", 2),
        ("resultats.csv", None),
        ("lg2024.csv", None),
    ],
)
def test_the_round_is_read_from_file_and_sheet_names(name: str, expected: int | None) -> None:
    assert round_from_name(name) == expected


def test_bytes_cp1252_leaves_undefined_are_read_as_latin_1() -> None:
    assert detect_encoding(b"\x81 " + "Zoé et Noël".encode("cp1252")) == "iso-8859-1"


def test_encoding_detection_keeps_utf8_cut_mid_character() -> None:
    assert detect_encoding("Éric".encode()[:-1] + "é".encode()[:1]) == "utf-8"


def test_a_2017_legislative_commune_file_carries_its_constituency(tmp_path: Path) -> None:
    path = tmp_path / "045com.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><Election><Scrutin><Type>Législatives</Type><Annee>2017</Annee></Scrutin>'
        "<Departement><CodDpt>45</CodDpt><LibDpt>Loiret</LibDpt><Communes><Commune><CodCirLg>04</CodCirLg>"
        "<CodSubCom>208</CodSubCom><LibSubCom>Montargis</LibSubCom><Tours><Tour><NumTour>2</NumTour><Mentions>"
        "<Inscrits><Nombre>8000</Nombre></Inscrits><Abstentions><Nombre>4000</Nombre></Abstentions>"
        "<Votants><Nombre>4000</Nombre></Votants><Blancs><Nombre>100</Nombre></Blancs><Nuls><Nombre>50</Nombre></Nuls>"
        "<Exprimes><Nombre>3850</Nombre></Exprimes></Mentions><Resultats><Candidats>"
        "<Candidat><NomPsn>A</NomPsn><NbVoix>2000</NbVoix></Candidat><Candidat><NomPsn>B</NomPsn><NbVoix>1850</NbVoix></Candidat>"
        "</Candidats></Resultats></Tour></Tours></Commune></Communes></Departement></Election>",
        encoding="utf-8",
    )
    info, areas = parse(path)
    assert info.election_type_hint == "legislative"
    assert [(a.level, a.code, a.constituency_code, a.round_number) for a in areas] == [
        ("commune", "45208", "4504", 2)
    ]


def test_a_2022_per_bureau_table_names_its_constituency(tmp_path: Path) -> None:
    header = helpers.HEADER_2022.replace(
        "Libellé de la circonscription;",
        "Libellé de la circonscription;Code de la commune;Libellé de la commune;Code du b.vote;",
    )
    row = "29;Finistère;3;3ème circonscription;011;Bohars;0001;Complet;997;210;21,06;787;78,94;8;0,80;1,02;3;0,30;0,38;776;77,83;98,60;"
    row += "1;M;BRÉHIER;Tristan;ENS;400;40,1;51,5;;2;M;CADALEN;Pierre-Yves;NUP;376;37,7;48,5;"
    path = tmp_path / "resultats-par-niveau-burvot-t2-france-entiere.txt"
    path.write_bytes(f"{header}\r\n{row}\r\n".encode("iso-8859-1"))
    info, areas = parse(path)
    assert info.round_hint == 2
    area = areas[0]
    assert (area.level, area.code, area.constituency_code, area.commune_code) == (
        "polling_station",
        "29011_0001",
        "2903",
        "29011",
    )
    assert [c.last_name for c in area.candidates] == ["BRÉHIER", "CADALEN"]
