"""What every importer produces (areas with their candidates), and the cell readers they share.

Importers stream their file and yield `ParsedArea`s; the service validates and stores them.
Every error names where it happened ("ligne 12, colonne « Voix 3 »", "élément <Tour> ligne 40")
so a person can open the file and fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from unidecode import unidecode

from maillage.core.errors import ApplicationError
from maillage.elections.models import AreaResult, CandidateResult
from maillage.territory.codes import CodeError


class ResultFileError(ApplicationError):
    """The file cannot be read as results: the message says where and why."""


@dataclass
class ParsedCandidate:
    last_name: str
    votes: int
    first_name: str = ""
    panel_number: int | None = None
    civility: str = ""
    nuance_code: str = ""
    nuance_label: str = ""
    elected: bool = False
    qualified: bool = False


@dataclass
class ParsedArea:
    level: str
    code: str
    name: str
    registered: int
    voters: int
    cast: int
    where: str
    abstentions: int | None = None
    blank_ballots: int | None = None
    null_ballots: int | None = None
    round_number: int | None = None
    department_code: str = ""
    department_name: str = ""
    constituency_code: str = ""
    constituency_name: str = ""
    commune_code: str = ""
    commune_name: str = ""
    station_number: str = ""
    candidates: list[ParsedCandidate] = field(default_factory=list)


@dataclass
class ParsedFile:
    """Header facts an importer learnt besides the areas (used when creating the election)."""

    format: str
    encoding: str = ""
    layout: str = ""
    round_hint: int | None = None
    election_type_hint: str = ""
    year_hint: int | None = None


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_INTEGER = re.compile(r"-?\d+")


def text_of(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return _SPACES.sub(" ", str(value)).strip()


def parse_count(value: object, *, where: str, required: bool = True) -> int | None:
    """A vote count: 1234, 1234.0, "1234", " 1 234 ", "1234,00" (numbers stored as text, padded)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ResultFileError(_("%(where)s : valeur manquante") % {"where": where})
        return None
    if isinstance(value, bool):
        raise ResultFileError(
            _("%(where)s : « %(value)s » n'est pas un nombre") % {"where": where, "value": value}
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        if value != int(value):
            raise ResultFileError(
                _("%(where)s : « %(value)s » n'est pas un nombre entier")
                % {"where": where, "value": value}
            )
        number = int(value)
    else:
        text = _SPACES.sub("", str(value))
        text = re.sub(r"[,.]0+$", "", text)
        if not _INTEGER.fullmatch(text):
            raise ResultFileError(
                _("%(where)s : « %(value)s » n'est pas un nombre entier")
                % {"where": where, "value": str(value).strip()}
            )
        number = int(text)
    if number < 0:
        raise ResultFileError(
            _("%(where)s : nombre négatif « %(value)s »") % {"where": where, "value": value}
        )
    return number


def parse_elected(value: object) -> tuple[bool, bool]:
    """(elected, qualified) from "Elu", "élu", "OUI", "QUALIF T2", 1, or an empty cell."""
    text = unidecode(text_of(value)).lower()
    if not text or text in {"non", "0", "-"}:
        return False, False
    if text.startswith("qualif"):
        return False, True
    if text in {"elu", "elue", "oui", "1", "o", "x", "true"}:
        return True, False
    return False, False


def civility_of(value: object) -> str:
    text = unidecode(text_of(value)).lower().rstrip(".")
    if text in {"m", "masculin", "monsieur", "h", "homme"}:
        return "M."
    if text in {"f", "mme", "feminin", "madame", "femme"}:
        return "Mme"
    return text_of(value)


# Text fields of a candidate, with the label an error gives them.
_CANDIDATE_TEXT = {
    "last_name": "nom",
    "first_name": "prénom",
    "civility": "civilité",
    "nuance_code": "nuance",
    "nuance_label": "libellé de la nuance",
}


def checked_length(
    value: str, *, model: type[models.Model], field: str, label: str, where: str
) -> str:
    """`value`, or an error naming the place when it is longer than the model's column (read
    from the field: PostgreSQL would refuse it, SQLite would keep it whole)."""
    limit = getattr(model._meta.get_field(field), "max_length", None)
    if limit is not None and len(value) > limit:
        raise ResultFileError(
            _("%(where)s : %(field)s : %(length)s caractères, %(limit)s au plus")
            % {"where": where, "field": label, "length": len(value), "limit": limit}
        )
    return value


def checked_candidate(candidate: ParsedCandidate, *, where: str) -> ParsedCandidate:
    for name, label in _CANDIDATE_TEXT.items():
        checked_length(
            getattr(candidate, name), model=CandidateResult, field=name, label=label, where=where
        )
    return candidate


def checked_area(area: ParsedArea) -> ParsedArea:
    checked_length(area.name, model=AreaResult, field="name", label="nom", where=area.where)
    return area


def code_or_error(function, value: object, *args: object, where: str) -> str:  # type: ignore[no-untyped-def]
    """Call a `territory.codes` normaliser, turning its CodeError into an error naming the place."""
    try:
        return function(value, *args)
    except CodeError as error:
        raise ResultFileError(
            _("%(where)s : %(error)s") % {"where": where, "error": error}
        ) from None


ROUND_IN_NAME = re.compile(
    r"(?:^|[^a-z0-9])(?:t|tour|tour_|tour-|r)\s?([12])(?:[^0-9]|$)", re.IGNORECASE
)


def round_from_name(name: str) -> int | None:
    """ "Leg_2024_Resultats_T1_officiel.xlsx", "circos23-tour2.csv", sheet "Circo. leg. T2"."""
    match = ROUND_IN_NAME.search(name)
    return int(match.group(1)) if match else None
