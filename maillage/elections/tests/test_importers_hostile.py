"""Result imports against hostile files: zip bombs, entity declarations, over-long values,
UTF-16, a database driver error. Every refusal is one line and leaves nothing behind."""

from __future__ import annotations

import codecs
import time
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from maillage.core.tests.workbooks import shared_string_bomb, sheet_xml, write_workbook
from maillage.elections.models import AreaResult, CandidateResult, Election
from maillage.elections.tests import helpers

pytestmark = pytest.mark.django_db

HEADERS = [
    "Code du département",
    "Libellé du département",
    "Code de la circonscription",
    "Libellé de la circonscription",
    "Inscrits",
    "Votants",
    "Exprimés",
    "N°Panneau",
    "Sexe",
    "Nom",
    "Prénom",
    "Nuance",
    "Voix",
    "Elu",
]
ROW = [
    "01",
    "Ain",
    "1",
    "1re circonscription",
    "100",
    "60",
    "50",
    "1",
    "F",
    "NOM",
    "Ana",
    "DIV",
    "50",
    "OUI",
]


class _Sink:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def refused(path: Path) -> str:
    with pytest.raises(CommandError) as error:
        call_command(
            "import_results",
            str(path),
            "--election",
            "legislatives-2024",
            "--round",
            "1",
            stdout=_Sink(),
        )
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    assert not Election.objects.exists() and not AreaResult.objects.exists()
    return message


def test_a_workbook_expanding_past_the_cap_is_refused_in_one_line(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_IMPORT_XLSX_MAX_BYTES = 1 << 20
    row = [*ROW[:9], "#s:0", *ROW[10:]]
    bomb = shared_string_bomb(tmp_path / "resultats.xlsx", [HEADERS, row], megabytes=2)
    assert refused(bomb) == (
        "resultats.xlsx : classeur refusé : le classeur décompressé dépasse 1 Mo (2 Mo déclarés)"
    )


def test_the_default_cap_refuses_a_gigabyte_bomb_at_once_in_little_memory(tmp_path: Path) -> None:
    row = [*ROW[:9], "#s:0", *ROW[10:]]
    bomb = shared_string_bomb(tmp_path / "resultats.xlsx", [HEADERS, row], megabytes=1024)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = refused(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "dépasse 200 Mo (1024 Mo déclarés)" in message
    assert time.perf_counter() - started < 5
    assert peak < 30 << 20


def test_a_workbook_declaring_entities_is_one_line_from_the_console_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from maillage.cli import main

    prolog = '<!DOCTYPE worksheet [<!ENTITY nom "NOM">]>'
    sheet = sheet_xml([(1, HEADERS), (2, ROW)], prolog=prolog)
    path = write_workbook(tmp_path / "resultats.xlsx", [], sheet=sheet)
    with pytest.raises(SystemExit) as exit_info:
        main(["maillage", "import_results", str(path), "--election", "legislatives-2024"])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (
        "CommandError: resultats.xlsx : classeur refusé : le classeur déclare des entités XML "
        "(DOCTYPE) : refusé par sécurité\n"
    )


def test_a_workbook_that_parses_badly_after_the_checks_is_one_line(tmp_path: Path) -> None:
    """Broken XML in a row (openpyxl's parser error): one line naming the sheet."""
    sheet = (
        sheet_xml([(1, HEADERS), (2, ROW)])
        .replace(b"<sheetData>", b'<dimension ref="A1:N2"/><sheetData>')
        .replace(b"</row></sheetData>", b"</rov></sheetData>")
    )
    path = write_workbook(tmp_path / "resultats.xlsx", [], sheet=sheet)
    assert refused(path).startswith(
        "resultats.xlsx, feuille « Feuil1 » : classeur XLSX illisible ("
    )


def test_a_candidate_name_longer_than_its_column_is_refused_naming_where(tmp_path: Path) -> None:
    """Both databases: PostgreSQL would refuse the value, SQLite would keep it whole."""
    long_name = "N" * 151
    text = helpers.table_2022(
        [
            ("01", "Ain", "1", "1re", [(1, "F", "A", "B", "EXG", 10, "")]),
            ("01", "Ain", "2", "2e", [(1, "F", long_name, "D", "EXG", 10, "")]),
        ]
    )
    path = tmp_path / "t1.csv"
    path.write_text(text, encoding="utf-8")
    assert refused(path) == "t1.csv ligne 3, candidat 1 : nom : 151 caractères, 150 au plus"
    assert not CandidateResult.objects.exists()


def test_a_nuance_longer_than_its_column_is_refused_in_the_ministry_xml(tmp_path: Path) -> None:
    xml = helpers.legislative_xml().replace(
        "<CodNuaCand>EXG</CodNuaCand>", f"<CodNuaCand>{'X' * 21}</CodNuaCand>", 1
    )
    path = tmp_path / "0703.xml"
    path.write_text(xml, encoding="utf-8")
    assert refused(path).endswith(", <Candidat> 1 : nuance : 21 caractères, 20 au plus")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_table_with_a_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    text = helpers.table_2022(
        [("01", "Ain", "1", "1re", [(1, "F", "LÉPAGNOT", "Maude", "EXG", 293, "")])]
    ).replace(";", "\t")
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    path = tmp_path / "t1.txt"
    path.write_bytes(bom + text.encode(encoding))
    call_command(
        "import_results",
        str(path),
        "--election",
        "legislatives-2022",
        "--round",
        "1",
        stdout=_Sink(),
    )
    assert CandidateResult.objects.get().last_name == "LÉPAGNOT"


def test_a_utf16_table_without_a_byte_order_mark_says_which_encodings_are_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t1.csv"
    path.write_bytes(helpers.table_2022([]).encode("utf-16-le"))
    assert refused(path) == (
        "t1.csv : ce n'est pas un fichier texte (CSV) ; encodages attendus : UTF-8, CP1252, "
        "ISO-8859-1, CP850, ou UTF-16 avec sa marque d'ordre des octets (BOM)"
    )


def test_a_database_driver_error_escaping_a_command_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """COPY goes through the driver's own cursor: its errors are not Django's."""
    from maillage.cli import main
    from maillage.elections import services

    def lost(rows):  # type: ignore[no-untyped-def]
        raise connection.Database.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_candidates_insert", lost)
    path = tmp_path / "t1.csv"
    path.write_text(
        helpers.table_2022([("01", "Ain", "1", "1re", [(1, "F", "A", "B", "EXG", 10, "")])])
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["maillage", "import_results", str(path), "--election", "x-2022", "--round", "1"])
    assert exit_info.value.code == 3
    assert capsys.readouterr().err == (
        "maillage: cannot reach the database named by DATABASE_URL (or it stopped answering): "
        "server closed the connection unexpectedly\n"
    )
