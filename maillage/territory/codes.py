"""The one normaliser for official area codes: departments, constituencies, communes, polling stations.

Every importer and every form goes through these functions, so "1", "01", "001", 1 and 1.0 are
the same department, "ZA" and "971" are Guadeloupe, and "101", "0101" and ("01", "1") are the
Ain's 1st constituency. Codes are strings, never integers: "2A" and "2B" are Corsica.

Canonical forms (the ones stored in the database and shown to users):

- department: two digits for mainland France ("01"…"95", with "2A"/"2B" instead of "20"),
  three digits overseas ("971"…"976", "986"…"988", plus "977"/"978" for communes), and the
  two legislative pseudo-departments "ZX" (Saint-Barthélemy and Saint-Martin, one seat) and
  "ZZ" (French residents abroad, 11 seats);
- constituency: the department code followed by the two-digit number ("0101", "2A01",
  "97101", "ZZ04"): the format of the 2024 files, which the `people` app uses too;
- commune: the INSEE code ("29011", "2A004", "97101"), Paris/Lyon/Marseille arrondissements
  with their own INSEE codes ("75101", "69381", "13201"), Marseille's sectors as "13055SR01";
- polling station: the commune code, an underscore, and the four-character bureau code ("29011_0001").
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

# The letter codes of the 2017 and 2022 files (and of the XML's CodDpt) for overseas areas.
# ZX stays ZX: Saint-Barthélemy (977) and Saint-Martin (978) share one constituency.
OVERSEAS_LETTER_CODES = {
    "ZA": "971",  # Guadeloupe
    "ZB": "972",  # Martinique
    "ZC": "973",  # Guyane
    "ZD": "974",  # La Réunion
    "ZS": "975",  # Saint-Pierre-et-Miquelon
    "ZM": "976",  # Mayotte
    "ZW": "986",  # Wallis-et-Futuna
    "ZP": "987",  # Polynésie française
    "ZN": "988",  # Nouvelle-Calédonie
    "ZX": "ZX",  # Saint-Barthélemy et Saint-Martin
    "ZZ": "ZZ",  # Français établis hors de France
}
OVERSEAS_NUMERIC_CODES = frozenset(
    {"971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988"}
)
# Some presidential and European files number French residents abroad "99".
ABROAD_ALIASES = {"99": "ZZ", "099": "ZZ"}

DEPARTMENT_NAMES = {
    "01": "Ain",
    "02": "Aisne",
    "03": "Allier",
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "07": "Ardèche",
    "08": "Ardennes",
    "09": "Ariège",
    "10": "Aube",
    "11": "Aude",
    "12": "Aveyron",
    "13": "Bouches-du-Rhône",
    "14": "Calvados",
    "15": "Cantal",
    "16": "Charente",
    "17": "Charente-Maritime",
    "18": "Cher",
    "19": "Corrèze",
    "2A": "Corse-du-Sud",
    "2B": "Haute-Corse",
    "21": "Côte-d'Or",
    "22": "Côtes-d'Armor",
    "23": "Creuse",
    "24": "Dordogne",
    "25": "Doubs",
    "26": "Drôme",
    "27": "Eure",
    "28": "Eure-et-Loir",
    "29": "Finistère",
    "30": "Gard",
    "31": "Haute-Garonne",
    "32": "Gers",
    "33": "Gironde",
    "34": "Hérault",
    "35": "Ille-et-Vilaine",
    "36": "Indre",
    "37": "Indre-et-Loire",
    "38": "Isère",
    "39": "Jura",
    "40": "Landes",
    "41": "Loir-et-Cher",
    "42": "Loire",
    "43": "Haute-Loire",
    "44": "Loire-Atlantique",
    "45": "Loiret",
    "46": "Lot",
    "47": "Lot-et-Garonne",
    "48": "Lozère",
    "49": "Maine-et-Loire",
    "50": "Manche",
    "51": "Marne",
    "52": "Haute-Marne",
    "53": "Mayenne",
    "54": "Meurthe-et-Moselle",
    "55": "Meuse",
    "56": "Morbihan",
    "57": "Moselle",
    "58": "Nièvre",
    "59": "Nord",
    "60": "Oise",
    "61": "Orne",
    "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin",
    "68": "Haut-Rhin",
    "69": "Rhône",
    "70": "Haute-Saône",
    "71": "Saône-et-Loire",
    "72": "Sarthe",
    "73": "Savoie",
    "74": "Haute-Savoie",
    "75": "Paris",
    "76": "Seine-Maritime",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "79": "Deux-Sèvres",
    "80": "Somme",
    "81": "Tarn",
    "82": "Tarn-et-Garonne",
    "83": "Var",
    "84": "Vaucluse",
    "85": "Vendée",
    "86": "Vienne",
    "87": "Haute-Vienne",
    "88": "Vosges",
    "89": "Yonne",
    "90": "Territoire de Belfort",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
    "986": "Wallis-et-Futuna",
    "987": "Polynésie française",
    "988": "Nouvelle-Calédonie",
    "ZX": "Saint-Barthélemy et Saint-Martin",
    "ZZ": "Français établis hors de France",
}

# INSEE codes of the arrondissements of the three cities the ministry splits ("056AR01").
ARRONDISSEMENT_BASE = {"75056": 75100, "69123": 69380, "13055": 13200}

_DIGITS = re.compile(r"\d+")


class CodeError(ValueError):
    """A code that cannot be read; the message names the value and is shown to the user."""


def _as_text(value: object) -> str:
    """Cells arrive as str, int, float (1.0 from a spreadsheet) or Decimal; never trust their type."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CodeError(_("« %(value)s » n'est pas un code") % {"value": value})
    if isinstance(value, float | Decimal):
        if value != int(value):
            raise CodeError(_("« %(value)s » n'est pas un code") % {"value": value})
        return str(int(value))
    return str(value).strip().upper()


def normalize_department(value: object) -> str:
    """Return the canonical department code, or raise CodeError."""
    text = _as_text(value)
    if not text:
        raise CodeError(_("code de département vide"))
    if text in OVERSEAS_LETTER_CODES:
        return OVERSEAS_LETTER_CODES[text]
    if text in ABROAD_ALIASES:
        return ABROAD_ALIASES[text]
    # The XML's CodDpt3Car pads to three characters: "075", "02A", "971".
    if len(text) == 3 and text.startswith("0"):
        text = text[1:]
    if text in {"2A", "2B"}:
        return text
    if _DIGITS.fullmatch(text):
        if len(text) <= 2:
            number = int(text)
            if 1 <= number <= 95 and number != 20:
                return f"{number:02d}"
            if number == 20:
                raise CodeError(_("« 20 » est ambigu : la Corse est 2A ou 2B"))
        elif text in OVERSEAS_NUMERIC_CODES:
            return text
    raise CodeError(_("« %(value)s » n'est pas un code de département") % {"value": value})


def normalize_constituency(value: object, department: object = None) -> str:
    """Return the canonical constituency code ("0703", "2A01", "97101", "ZZ04").

    Accepts the number within the department ("01", 1, with `department`), the full code
    ("0101", "2A01", "ZZ04", "97101"), the full code as a number (101 → "0101", 97101), and the
    2017/2022 letter codes once joined ("ZA01" → "97101"). When both are given, they must agree;
    a truncated department ("97", "98", as in the XML-derived CSV) is completed from the code.
    """
    text = _as_text(value)
    if not text:
        raise CodeError(_("code de circonscription vide"))
    dept_text = _as_text(department) if department is not None else ""
    if _DIGITS.fullmatch(text) and len(text) <= 2:
        if not dept_text:
            raise CodeError(
                _("« %(value)s » : le département manque pour situer la circonscription")
                % {"value": value}
            )
        dept = normalize_department(dept_text)
        return _join_constituency(dept, int(text), value)
    dept, number = _split_full_constituency(text, value)
    if dept_text and dept_text not in {"97", "98"} and normalize_department(dept_text) != dept:
        raise CodeError(
            _("la circonscription « %(value)s » n'est pas dans le département « %(department)s »")
            % {"value": value, "department": department}
        )
    return _join_constituency(dept, number, value)


def _split_full_constituency(text: str, original: object) -> tuple[str, int]:
    if _DIGITS.fullmatch(text):
        if len(text) == 3:  # 101 read as a number: the Ain's 1st, zero lost.
            text = text.zfill(4)
        if len(text) == 4:
            return normalize_department(text[:2]), int(text[2:])
        if len(text) == 5 and text[:3] in OVERSEAS_NUMERIC_CODES:
            return text[:3], int(text[3:])
        raise CodeError(
            _("« %(original)s » n'est pas un code de circonscription") % {"original": original}
        )
    match = re.fullmatch(r"(2A|2B|Z[A-Z])(\d{1,2})", text)
    if match:
        return normalize_department(match.group(1)), int(match.group(2))
    raise CodeError(
        _("« %(original)s » n'est pas un code de circonscription") % {"original": original}
    )


def _join_constituency(dept: str, number: int, original: object) -> str:
    if not 1 <= number <= 99:
        raise CodeError(
            _("« %(original)s » : numéro de circonscription hors limites") % {"original": original}
        )
    return f"{dept}{number:02d}"


def constituency_department(code: str) -> str:
    """The department of a canonical constituency code."""
    return code[:-2]


def constituency_number(code: str) -> int:
    return int(code[-2:])


def normalize_commune(value: object, department: object = None) -> str:
    """Return the INSEE code of a commune or arrondissement.

    Accepts an INSEE code ("29011", 29011 read as a number, "2A004", "1001" → "01001"), or the
    ministry's code within the department ("056" with department "75" → "75056"; "101" in
    "971" → "97101"), including arrondissements ("056AR01" → "75101"). The ministry's codes are
    not INSEE codes: the department is needed to turn them into one.
    """
    text = _as_text(value)
    if not text:
        raise CodeError(_("code de commune vide"))
    sector = re.fullmatch(r"(\w{3})SR(\d{1,2})", text)
    if sector:
        # Sectors (Marseille's 8, grouping arrondissements) have no INSEE code: the city's code
        # plus the ministry's suffix keeps them apart from communes.
        city = normalize_commune(sector.group(1), department)
        if city not in ARRONDISSEMENT_BASE:
            raise CodeError(
                _("« %(value)s » : secteur d'une commune qui n'en a pas") % {"value": value}
            )
        return f"{city}SR{int(sector.group(2)):02d}"
    arrondissement = re.fullmatch(r"(\w{3})AR(\d{1,2})", text)
    if arrondissement:
        city = normalize_commune(arrondissement.group(1), department)
        base = ARRONDISSEMENT_BASE.get(city)
        if base is None:
            raise CodeError(
                _("« %(value)s » : arrondissement d'une commune qui n'en a pas") % {"value": value}
            )
        return str(base + int(arrondissement.group(2)))
    if len(text) <= 3 and department is not None:
        if not _DIGITS.fullmatch(text):
            raise CodeError(_("« %(value)s » n'est pas un code de commune") % {"value": value})
        dept = normalize_department(department)
        if dept in {"ZX", "ZZ"}:
            raise CodeError(
                _("« %(value)s » : pas de commune dans le département « %(dept)s »")
                % {"value": value, "dept": dept}
            )
        if len(dept) == 3:  # Overseas INSEE codes are 97 + the three-digit ministry code.
            return dept[:2] + text.zfill(3)
        return dept + text.zfill(3)
    if _DIGITS.fullmatch(text) and len(text) == 4:
        text = text.zfill(5)
    if re.fullmatch(r"(\d{2}|2A|2B)\d{3}", text):
        if not text.startswith(("2A", "2B")):
            normalize_department(
                text[:3] if text.startswith("97") or text.startswith("98") else text[:2]
            )
        return text
    raise CodeError(_("« %(value)s » n'est pas un code de commune") % {"value": value})


def is_insee_commune(code: str) -> bool:
    """False for sectors ("13055SR01"), which are results areas but not communes."""
    return len(code) == 5


def commune_department(code: str) -> str:
    """The department of an INSEE commune code ("97101" → "971", "2A004" → "2A")."""
    if code.startswith(("97", "98")):
        return code[:3]
    return code[:2]


def normalize_polling_station(value: object) -> str:
    """The bureau's own code, four characters: 1 → "0001", "12" → "0012", "A1" stays "A1"."""
    text = _as_text(value)
    if not text:
        raise CodeError(_("code de bureau de vote vide"))
    if _DIGITS.fullmatch(text):
        if len(text) > 4:
            raise CodeError(
                _("« %(value)s » n'est pas un code de bureau de vote") % {"value": value}
            )
        return text.zfill(4)
    if not re.fullmatch(r"[0-9A-Z_\-]{1,8}", text):
        raise CodeError(_("« %(value)s » n'est pas un code de bureau de vote") % {"value": value})
    return text


def polling_station_code(commune_code: str, station: object) -> str:
    """The canonical key of a polling station: "29011_0001"."""
    return f"{commune_code}_{normalize_polling_station(station)}"


def department_name(code: str) -> str:
    return DEPARTMENT_NAMES.get(code, code)


def ordinal_label(number: int) -> str:
    """French ordinal used in constituency names: 1re, 2e, 3e."""
    return "1re" if number == 1 else f"{number}e"
