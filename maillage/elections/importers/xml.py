"""The Ministry of the Interior's XML feed (elections.interieur.gouv.fr "telechargements").

Parsed as a stream with `defusedxml` (entity declarations, external entities and DTD-driven
expansion are refused, so a "billion laughs" file is an error, not an outage). One `<Tour>` is
read at a time and then cleared. The area a `<Tour>` belongs to is its closest enclosing
`Circonscription` (legislative files), `Commune` (presidential and per-commune files),
`Departement` or `EnsembleGeo`/`FE` (national).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.utils.translation import gettext as _

from maillage.elections.importers.base import (
    ParsedArea,
    ParsedCandidate,
    ParsedFile,
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
    constituency_number,
    department_name,
    normalize_commune,
    normalize_constituency,
    normalize_department,
    ordinal_label,
)

SCOPES = {
    "Circonscription": "constituency",
    "Commune": "commune",
    "Departement": "department",
    "Region": "region",
    "EnsembleGeo": "national",
    "FE": "national",
}
# Leaf elements whose text describes the enclosing scope.
SCOPE_FIELDS = {
    "CodDpt",
    "CodMinDpt",
    "CodDpt3Car",
    "LibDpt",
    "CodCirElec",
    "LibCirElec",
    "CodCirLg",
    "CodSubCom",
    "LibSubCom",
    "CodReg",
    "LibReg",
}
MENTIONS = {
    "Inscrits": "registered",
    "Abstentions": "abstentions",
    "Votants": "voters",
    "Blancs": "blank_ballots",
    "Nuls": "null_ballots",
    "Exprimes": "cast",
}
TYPES = {
    "presidentielle": "presidential",
    "legislatives": "legislative",
    "europeennes": "european",
    "regionales": "regional",
    "departementales": "departmental",
    "municipales": "municipal",
}


def looks_like_xml(head: bytes) -> bool:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped.startswith(b"<?xml") or stripped.startswith(b"<Election")


def parse_xml(path: Path, *, source: str | None = None) -> tuple[ParsedFile, Iterator[ParsedArea]]:
    info = ParsedFile(format="xml", encoding=_declared_encoding(path))
    return info, _areas(path, source or path.name, info)


def _declared_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(200)
    match = re.search(rb'encoding=["\']([\w.-]+)', head)
    return match.group(1).decode("ascii").lower() if match else "utf-8"


def _areas(path: Path, source: str, info: ParsedFile) -> Iterator[ParsedArea]:
    scopes: list[tuple[str, dict[str, str]]] = []
    stack: list[str] = []
    in_scrutin = False
    found = 0
    try:
        for event, element in iterparse(
            str(path),
            events=("start", "end"),
            forbid_dtd=False,
            forbid_entities=True,
            forbid_external=True,
        ):
            tag = element.tag
            if event == "start":
                stack.append(tag)
                if tag in SCOPES and "Tour" not in stack[:-1]:
                    scopes.append((tag, {}))
                elif tag == "Scrutin":
                    in_scrutin = True
                continue
            stack.pop()
            if in_scrutin:
                if tag == "Type":
                    kind = re.sub(
                        r"[^a-z]", "", _ascii(text_of(element.text)).split(" ")[0].lower()
                    )
                    info.election_type_hint = TYPES.get(kind, "")
                elif tag == "Annee" and text_of(element.text).isdigit():
                    info.year_hint = int(text_of(element.text))
                elif tag == "Scrutin":
                    in_scrutin = False
                continue
            if tag in SCOPE_FIELDS and scopes and stack and stack[-1] == scopes[-1][0]:
                scopes[-1][1][tag] = text_of(element.text)
            elif tag == "Tour" and scopes and "Tour" not in stack:
                area = _area_from_tour(element, scopes, source=source)
                element.clear()
                if area is not None:
                    found += 1
                    yield area
            elif tag in SCOPES and scopes and scopes[-1][0] == tag and "Tour" not in stack:
                scopes.pop()
                element.clear()
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise ResultFileError(
            _("%(source)s : XML mal formé ligne %(line)s, colonne %(column)s (%(reason)s)")
            % {"source": source, "line": line, "column": column, "reason": _reason(error)}
        ) from None
    except DefusedXmlException as error:
        raise ResultFileError(
            _("%(source)s : XML refusé, il déclare des entités ou un DTD dangereux (%(kind)s)")
            % {"source": source, "kind": error.__class__.__name__}
        ) from None
    if not found:
        raise ResultFileError(
            _(
                "%(source)s : aucun résultat (<Tour> avec <Mentions>) dans ce fichier XML ; est-ce un fichier d'index ?"
            )
            % {"source": source}
        )


def _ascii(text: str) -> str:
    from unidecode import unidecode

    return unidecode(text)


def _reason(error: ParseError) -> str:
    return str(error).split(":")[0]


def _area_from_tour(
    tour: Element, scopes: list[tuple[str, dict[str, str]]], *, source: str
) -> ParsedArea | None:
    mentions = tour.find("Mentions")
    if mentions is None:
        return None  # index files list communes per round without figures
    merged: dict[str, str] = {}
    for _scope, fields in scopes:
        merged.update(fields)
    scope_tag = scopes[-1][0]
    level = SCOPES[scope_tag]
    round_text = text_of(tour.findtext("NumTour"))
    where = f"{source}, élément <{scope_tag}> {merged.get('CodCirElec') or merged.get('CodSubCom') or merged.get('CodDpt') or ''}".rstrip()
    where += f", <Tour> {round_text}"
    figures: dict[str, int | None] = {}
    for tag, name in MENTIONS.items():
        node = mentions.find(f"{tag}/Nombre")
        figures[name] = parse_count(
            node.text if node is not None else None,
            where=f"{where}, <{tag}><Nombre>",
            required=name in {"registered", "voters", "cast"},
        )
    dept = ""
    raw_dept = merged.get("CodDpt") or merged.get("CodMinDpt") or merged.get("CodDpt3Car") or ""
    if raw_dept:
        dept = code_or_error(normalize_department, raw_dept, where=f"{where}, <CodDpt>")
    area = ParsedArea(
        level=level,
        code="FE",
        name="France entière",
        registered=figures["registered"] or 0,
        voters=figures["voters"] or 0,
        cast=figures["cast"] or 0,
        abstentions=figures["abstentions"],
        blank_ballots=figures["blank_ballots"],
        null_ballots=figures["null_ballots"],
        round_number=parse_count(round_text, where=f"{where}, <NumTour>"),
        department_code=dept,
        department_name=merged.get("LibDpt") or (department_name(dept) if dept else ""),
        where=where,
    )
    if merged.get("CodCirElec") or merged.get("CodCirLg"):
        area.constituency_code = code_or_error(
            normalize_constituency,
            merged.get("CodCirElec") or merged.get("CodCirLg"),
            dept or None,
            where=f"{where}, <CodCirElec>",
        )
        area.constituency_name = merged.get("LibCirElec", "")
    if level == "constituency":
        if not area.constituency_code:
            raise ResultFileError(_("%(where)s : <CodCirElec> manquant") % {"where": where})
        area.code = area.constituency_code
        area.name = f"{area.department_name} {ordinal_label(constituency_number(area.code))} circonscription"
    elif level == "commune":
        area.commune_code = code_or_error(
            normalize_commune, merged.get("CodSubCom"), dept or None, where=f"{where}, <CodSubCom>"
        )
        area.commune_name = merged.get("LibSubCom", "")
        area.code, area.name = area.commune_code, area.commune_name or area.commune_code
    elif level == "region":
        region = text_of(merged.get("CodReg"))
        if not region.isdigit():
            raise ResultFileError(
                _("%(where)s : <CodReg> manquant ou invalide « %(region)s »")
                % {"where": where, "region": region}
            )
        area.code, area.name = region.zfill(2), merged.get("LibReg") or region
    elif level == "department":
        if not dept:
            raise ResultFileError(_("%(where)s : <CodDpt> manquant") % {"where": where})
        area.code, area.name = dept, area.department_name
    for position, candidate in enumerate(tour.iterfind("Resultats/Candidats/Candidat"), start=1):
        here = f"{where}, <Candidat> {position}"
        last_name = text_of(candidate.findtext("NomPsn"))
        if not last_name:
            raise ResultFileError(_("%(here)s : <NomPsn> manquant") % {"here": here})
        elected, qualified = parse_elected(candidate.findtext("Elu"))
        area.candidates.append(
            checked_candidate(
                ParsedCandidate(
                    last_name=last_name,
                    first_name=text_of(candidate.findtext("PrenomPsn")),
                    votes=parse_count(candidate.findtext("NbVoix"), where=f"{here}, <NbVoix>") or 0,
                    panel_number=parse_count(
                        candidate.findtext("NumPanneauCand"),
                        where=f"{here}, <NumPanneauCand>",
                        required=False,
                    ),
                    civility=civility_of(candidate.findtext("CivilitePsn")),
                    nuance_code=text_of(candidate.findtext("CodNuaCand")),
                    nuance_label=text_of(candidate.findtext("LibNuaCand")),
                    elected=elected,
                    qualified=qualified,
                ),
                where=here,
            )
        )
    return checked_area(area)
