"""Normalisation shared by imports, dedupe, search and the suppression ledger.

One place decides what "the same name", "the same email" or "the same household" means, so an
import, a merge and an erasure always agree.
"""

from __future__ import annotations

import hashlib
import re

import phonenumbers
from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")

# Street-type abbreviations seen on rolls, so "BD DE LA LIBERTE" and "boulevard de la Liberté"
# put two people in the same building.
_STREET_WORDS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "ch": "chemin",
    "che": "chemin",
    "imp": "impasse",
    "pl": "place",
    "r": "rue",
    "rte": "route",
    "all": "allee",
    "sq": "square",
    "crs": "cours",
    "qu": "quai",
    "qua": "quai",
    "res": "residence",
    "lot": "lotissement",
    "fg": "faubourg",
    "fbg": "faubourg",
    "pass": "passage",
    "st": "saint",
    "ste": "sainte",
}


def fold(text: str | None) -> str:
    """Lowercase, accents removed, punctuation as single spaces: 'Lefèvre-Dupont' -> 'lefevre dupont'."""
    if not text:
        return ""
    return _SPACES.sub(" ", _NON_ALNUM.sub(" ", unidecode(text).lower())).strip()


def search_key(*parts: str | None) -> str:
    """The text quick search matches by prefix, accent-insensitively."""
    return " ".join(part for part in (fold(p) for p in parts) if part)


# Long enough to order any real name; an absurd 10,000-character name is cut, not refused.
SORT_NAME_LENGTH = 120


def sort_key(last: str | None, first: str | None) -> str:
    """The people list's order: the last name it shows, then the first names, folded, so
    "ADAM Émilie" sorts as "adam emilie" (before "adam sophie", not after Z) the same way on
    every database. `last` is the usage name when there is one, else the birth name."""
    return sort_key_of_folded(fold(last), fold(first))


def sort_key_of_folded(last: str, first: str) -> str:
    """`sort_key` from names already folded (the import has them at hand)."""
    return f"{last} {first}".strip()[:SORT_NAME_LENGTH]


def normalise_email(value: str | None) -> str:
    return (value or "").strip().lower()


def normalise_phone(value: str | None, region: str = "FR") -> str | None:
    """E.164 or None when the number is not a valid phone number."""
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_is_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def street_name_key(street: str | None) -> str:
    """The street as `street_key` compares it: folded, abbreviations spelt out."""
    return " ".join(_STREET_WORDS.get(word, word) for word in fold(street).split())


def street_number_key(number: str | None) -> str:
    return fold(number).replace(" ", "")


def street_key(number: str | None, street: str | None, postcode: str | None) -> str:
    return street_key_of(fold(postcode), street_number_key(number), street_name_key(street))


def street_key_of(postcode_key: str, number_key: str, street_words: str) -> str:
    """The building key from its three normalised parts (imports memoise each part apart)."""
    return f"{postcode_key}|{number_key}|{street_words}" if street_words else ""


def household_key(
    number: str | None, street: str | None, complement: str | None, postcode: str | None
) -> str:
    """Same building and same flat/floor complement: one household (one door to knock)."""
    building = street_key(number, street, postcode)
    if not building:
        return ""
    return f"{building}|{fold(complement)}"


def identity_key(
    birth_name: str | None,
    first_names: str | None,
    birth_year: int | None,
    birth_month: int | None,
    birth_day: int | None,
) -> str:
    """Name and birth date as text: what dedupe compares and what the ledger hashes."""
    first = fold(first_names).split(" ")[0] if first_names else ""
    born = f"{birth_year or 0:04d}-{birth_month or 0:02d}-{birth_day or 0:02d}"
    return f"{fold(birth_name)}|{first}|{born}"


def ledger_hash(kind: str, value: str) -> str:
    """What the suppression ledger keeps: a SHA-256 of the normalised value, never the value."""
    return hashlib.sha256(f"maillage:{kind}:{value}".encode()).hexdigest()
