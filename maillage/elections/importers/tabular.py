"""Rows of a results table (CSV or XLSX) to areas: header recognition and candidate blocks.

One reader serves every data.gouv.fr layout: one row per area with numbered candidate blocks
(2024 "Voix 1", "Voix 2"…), one row per area with one named block then unnamed ragged ones
(2017 workbooks, 2022 CSV), one row per candidate (consecutive rows of one area are merged,
as in the XML-derived CSV), and per-bureau tables (a commune and a bureau column, no
constituency column).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from unidecode import unidecode

from maillage.elections.importers.base import (
    ParsedArea,
    ParsedCandidate,
    ResultFileError,
    checked_area,
    checked_candidate,
    civility_of,
    code_or_error,
    parse_count,
    parse_elected,
    text_of,
)
from maillage.territory.codes import (
    commune_department,
    constituency_number,
    department_name,
    normalize_commune,
    normalize_constituency,
    normalize_department,
    normalize_polling_station,
    ordinal_label,
    polling_station_code,
)


def header_key(header: object) -> tuple[str, int | None]:
    """("voix", 3) for "Voix 3"; ("numero de panneau", None) for "Numéro de panneau"."""
    # "°" goes before unidecode, which would spell it "deg" ("N°Panneau").
    text = unidecode(text_of(header).replace("°", " ")).lower()
    text = re.sub(r"[_\s]+", " ", text).strip()
    match = re.fullmatch(r"(.*\D)\s(\d{1,2})", text)
    if match and match.group(1).strip() not in {"tour", "t"}:
        return match.group(1).strip(), int(match.group(2))
    return text, None


def _keys(*names: str) -> set[str]:
    return {header_key(name)[0] for name in names}


AREA_FIELDS: dict[str, set[str]] = {
    "department_code": _keys(
        "Code du département", "Code département", "Departement", "CodDpt", "Code dpt"
    ),
    "department_name": _keys("Libellé du département", "Libellé département", "LibDpt"),
    "constituency_code": _keys(
        "Code de la circonscription",
        "Code circonscription législative",
        "Code circonscription",
        "CodCirElec",
        "CodCirLg",
        "Code de la circonscription législative",
    ),
    "constituency_name": _keys(
        "Libellé de la circonscription",
        "Libellé circonscription législative",
        "LibCirElec",
        "Libellé circonscription",
    ),
    "commune_code": _keys("Code de la commune", "Code commune", "CodSubCom"),
    "commune_name": _keys("Libellé de la commune", "Libellé commune", "LibSubCom"),
    "station": _keys("Code BV", "Code du b.vote", "Code bureau de vote", "Code du bureau de vote"),
    "registered": _keys("Inscrits"),
    "abstentions": _keys("Abstentions"),
    "voters": _keys("Votants"),
    "blank_ballots": _keys("Blancs"),
    "null_ballots": _keys("Nuls"),
    "cast": _keys("Exprimés", "Exprimes"),
}

CANDIDATE_FIELDS: dict[str, set[str]] = {
    "panel_number": _keys(
        "N°Panneau", "Numéro de panneau", "NumPanneauCand", "N° de panneau", "Panneau"
    ),
    "civility": _keys("Sexe", "Sexe candidat", "CivilitePsn", "Civilité"),
    "last_name": _keys("Nom", "Nom candidat", "NomPsn"),
    "first_name": _keys("Prénom", "Prénom candidat", "PrenomPsn"),
    "nuance_code": _keys("Nuance", "Nuance candidat", "Code Nuance", "CodNuaCand"),
    "nuance_label": _keys("LibNuaCand", "Libellé de la nuance", "Libellé nuance"),
    "votes": _keys("Voix", "NbVoix"),
    "elected": _keys("Sièges", "Elu", "Élu", "Elu candidat"),
}
_AREA_LOOKUP = {key: name for name, keys in AREA_FIELDS.items() for key in keys}
_CANDIDATE_LOOKUP = {key: name for name, keys in CANDIDATE_FIELDS.items() for key in keys}
REQUIRED_AREA = ("registered", "voters", "cast")


@dataclass
class TableLayout:
    area_columns: dict[str, int]
    first_candidate: int
    block_size: int
    block_fields: dict[str, int]  # field → offset inside a block
    level: str
    description: str


def recognised_area_columns(headers: Sequence[object]) -> int:
    return sum(1 for header in headers if header_key(header)[0] in _AREA_LOOKUP)


def layout_from_headers(headers: Sequence[object], *, where: str) -> TableLayout:
    headers = list(headers)
    while headers and not text_of(headers[-1]):  # a trailing ";" or empty spreadsheet columns
        headers.pop()
    area_columns: dict[str, int] = {}
    first_candidate = -1
    block_fields: dict[str, int] = {}
    block_number: int | None = None
    block_size = 0
    for index, header in enumerate(headers):
        key, number = header_key(header)
        if first_candidate < 0:
            if key in _CANDIDATE_LOOKUP:
                first_candidate, block_number = index, number
                block_fields[_CANDIDATE_LOOKUP[key]] = 0
            elif key in _AREA_LOOKUP and _AREA_LOOKUP[key] not in area_columns:
                area_columns[_AREA_LOOKUP[key]] = index
            continue
        field_name = _CANDIDATE_LOOKUP.get(key)
        # The first block ends where a field repeats or the block number changes.
        if (field_name is not None and field_name in block_fields) or (
            number is not None and number != block_number
        ):
            block_size = index - first_candidate
            break
        if field_name is not None:
            block_fields[field_name] = index - first_candidate
    else:
        if first_candidate >= 0:
            block_size = len(headers) - first_candidate
    missing = [name for name in REQUIRED_AREA if name not in area_columns]
    if (
        first_candidate < 0
        or "votes" not in block_fields
        or "last_name" not in block_fields
        or missing
    ):
        wanted = ", ".join(["Inscrits", "Votants", "Exprimés"] if missing else ["Nom", "Voix"])
        seen = ", ".join(f"« {text_of(h)} »" for h in headers[:8] if text_of(h))
        raise ResultFileError(
            _(
                "%(where)s : colonnes non reconnues (attendu au moins %(wanted)s et les blocs de candidats ; trouvé %(seen)s)"
            )
            % {"where": where, "wanted": wanted, "seen": seen or _("aucun en-tête")}
        )
    if "station" in area_columns:
        if "commune_code" not in area_columns:
            raise ResultFileError(
                _("%(where)s : une colonne « Code BV » sans colonne « Code commune »")
                % {"where": where}
            )
        level, description = "polling_station", "par bureau de vote"
    elif "commune_code" in area_columns:
        level, description = "commune", "par commune"
    elif "constituency_code" in area_columns:
        level, description = "constituency", "par circonscription"
    elif "department_code" in area_columns:
        level, description = "department", "par département"
    else:
        raise ResultFileError(
            _("%(where)s : aucune colonne de code de zone (département, circonscription, commune)")
            % {"where": where}
        )
    return TableLayout(area_columns, first_candidate, block_size, block_fields, level, description)


def _cell(row: Sequence[object], index: int | None) -> object:
    if index is None or index >= len(row):
        return None
    return row[index]


def area_from_row(row: Sequence[object], layout: TableLayout, *, where: str) -> ParsedArea:
    columns = layout.area_columns

    def cell(name: str) -> object:
        return _cell(row, columns.get(name))

    def count(name: str, required: bool = True) -> int | None:
        return parse_count(
            cell(name), where=f"{where}, colonne « {name_of(name)} »", required=required
        )

    raw_dept = text_of(cell("department_code"))
    constituency_code = constituency_name = commune_code = commune_name = station = ""
    dept = ""
    if raw_dept and raw_dept not in {"97", "98"}:
        dept = code_or_error(normalize_department, raw_dept, where=f"{where}, département")
    if "constituency_code" in columns and text_of(cell("constituency_code")):
        constituency_code = code_or_error(
            normalize_constituency,
            cell("constituency_code"),
            raw_dept or None,
            where=f"{where}, circonscription",
        )
        dept = dept or constituency_code[:-2]
        constituency_name = text_of(cell("constituency_name"))
    if "commune_code" in columns:
        commune_code = code_or_error(
            normalize_commune, cell("commune_code"), dept or None, where=f"{where}, commune"
        )
        dept = dept or commune_department(commune_code)
        commune_name = text_of(cell("commune_name"))
    if not dept:
        raise ResultFileError(_("%(where)s : code de département manquant") % {"where": where})
    dept_name = text_of(cell("department_name")) or department_name(dept)
    if layout.level == "polling_station":
        station = code_or_error(
            normalize_polling_station, cell("station"), where=f"{where}, bureau de vote"
        )
        code, name = (
            polling_station_code(commune_code, station),
            f"{commune_name} — bureau {station}",
        )
    elif layout.level == "commune":
        code, name = commune_code, commune_name or commune_code
    elif layout.level == "constituency":
        if not constituency_code:
            raise ResultFileError(
                _("%(where)s : code de circonscription manquant") % {"where": where}
            )
        code = constituency_code
        name = f"{dept_name} {ordinal_label(constituency_number(code))} circonscription"
    else:
        code, name = dept, dept_name
    registered = count("registered")
    voters = count("voters")
    area = ParsedArea(
        level=layout.level,
        code=code,
        name=name,
        registered=registered or 0,
        voters=voters or 0,
        cast=count("cast") or 0,
        abstentions=count("abstentions", required=False),
        blank_ballots=count("blank_ballots", required=False),
        null_ballots=count("null_ballots", required=False),
        department_code=dept,
        department_name=dept_name,
        constituency_code=constituency_code,
        constituency_name=constituency_name,
        commune_code=commune_code,
        commune_name=commune_name,
        station_number=station,
        where=where,
        candidates=list(candidates_from_row(row, layout, where=where)),
    )
    return checked_area(area)


def name_of(field_name: str) -> str:
    return {
        "registered": "Inscrits",
        "voters": "Votants",
        "cast": "Exprimés",
        "abstentions": "Abstentions",
        "blank_ballots": "Blancs",
        "null_ballots": "Nuls",
        "votes": "Voix",
        "panel_number": "N° de panneau",
    }.get(field_name, field_name)


def candidates_from_row(
    row: Sequence[object], layout: TableLayout, *, where: str
) -> Iterator[ParsedCandidate]:
    fields = layout.block_fields
    for block, start in enumerate(
        range(layout.first_candidate, len(row), layout.block_size), start=1
    ):
        values = row[start : start + layout.block_size]
        if all(text_of(value) == "" for value in values):
            continue

        def get(name: str, values: Sequence[object] = values) -> object:
            offset = fields.get(name)
            return values[offset] if offset is not None and offset < len(values) else None

        here = f"{where}, candidat {block}"
        last_name = text_of(get("last_name"))
        if not last_name:
            raise ResultFileError(_("%(here)s : nom manquant") % {"here": here})
        elected, qualified = parse_elected(get("elected"))
        panel = parse_count(get("panel_number"), where=f"{here}, n° de panneau", required=False)
        yield checked_candidate(
            ParsedCandidate(
                last_name=last_name,
                first_name=text_of(get("first_name")),
                votes=parse_count(get("votes"), where=f"{here}, voix") or 0,
                panel_number=panel,
                civility=civility_of(get("civility")),
                nuance_code=text_of(get("nuance_code")),
                nuance_label=text_of(get("nuance_label")),
                elected=elected,
                qualified=qualified,
            ),
            where=here,
        )


def areas_from_rows(
    rows: Iterable[tuple[int, Sequence[object]]], layout: TableLayout, *, source: str
) -> Iterator[ParsedArea]:
    """Yield one area per row, merging consecutive rows of one area (one-row-per-candidate files)."""
    seen: set[str] = set()
    current: ParsedArea | None = None
    for line, row in rows:
        if not any(text_of(value) for value in row):
            continue
        area = area_from_row(row, layout, where=f"{source} ligne {line}")
        if current is not None and area.code == current.code:
            if (area.registered, area.voters, area.cast) != (
                current.registered,
                current.voters,
                current.cast,
            ):
                raise ResultFileError(
                    _(
                        "%(source)s ligne %(line)s : la zone %(code)s a d'autres inscrits/votants/exprimés que sur les lignes précédentes"
                    )
                    % {"source": source, "line": line, "code": area.code}
                )
            current.candidates.extend(area.candidates)
            continue
        if current is not None:
            yield current
        if area.code in seen:
            raise ResultFileError(
                _("%(source)s ligne %(line)s : la zone %(code)s apparaît deux fois dans le fichier")
                % {"source": source, "line": line, "code": area.code}
            )
        seen.add(area.code)
        current = area
    if current is not None:
        yield current
