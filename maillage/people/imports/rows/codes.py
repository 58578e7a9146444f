"""Official codes of a roll row (commune, polling station, constituency), flags, the ledger."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from maillage.people.models import SuppressionEntry

_YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
_NO = {"non", "n", "no", "0", "false", "faux"}


@dataclass
class Ledger:
    """Suppression hashes loaded once per import (the ledger is small next to a roll)."""

    identity_all: set[str] = field(default_factory=set)
    email_all: set[str] = field(default_factory=set)
    email_optout: set[str] = field(default_factory=set)
    phone_all: set[str] = field(default_factory=set)
    sms_optout: set[str] = field(default_factory=set)
    call_optout: set[str] = field(default_factory=set)

    @classmethod
    def load(cls) -> Ledger:
        ledger = cls()
        Kind, Scope = SuppressionEntry.Kind, SuppressionEntry.Scope
        buckets: dict[tuple[str, str], set[str]] = {
            (Kind.IDENTITY, Scope.ALL): ledger.identity_all,
            (Kind.EMAIL, Scope.ALL): ledger.email_all,
            (Kind.EMAIL, Scope.EMAIL): ledger.email_optout,
            (Kind.PHONE, Scope.ALL): ledger.phone_all,
            (Kind.PHONE, Scope.SMS): ledger.sms_optout,
            (Kind.PHONE, Scope.PHONE): ledger.call_optout,
        }
        for kind, scope, value_hash in SuppressionEntry.objects.values_list(
            "kind", "scope", "value_hash"
        ).iterator(chunk_size=5000):
            bucket = buckets.get((kind, scope))
            if bucket is not None:
                bucket.add(value_hash)
        return ledger


def department_of(commune_code: str) -> str:
    """INSEE department of a commune code: 3 characters overseas (971…), else 2 (13, 2A)."""
    return commune_code[:3] if commune_code[:2] in ("97", "98") else commune_code[:2]


def normalise_commune_code(raw: str, department: str = "") -> str:
    code = raw.strip().upper()
    if not code:
        return ""
    if department and len(code) <= 3:  # e-listelec numbers communes within the department
        return department.strip().upper().zfill(2) + code.zfill(3)
    if code.isdigit() and len(code) == 4:  # a spreadsheet ate the leading zero of 01004
        return code.zfill(5)
    return code


def station_code(raw: str) -> str:
    code = raw.strip()
    return code.zfill(4) if code.isdigit() else code.upper()


_SPLIT = re.compile(r"[^0-9A-Za-z]+")


def constituency_code(department: str, raw: str) -> str:
    """Department code + 2-digit number (`1303`, `2A01`, `97101`) from the many ways it is written."""
    parts = [part for part in _SPLIT.split(raw.strip().upper()) if part]
    if not parts or not department:
        return ""
    if len(parts) >= 2:
        number = parts[-1]
    else:
        number = parts[0]
        if number.startswith(department) and len(number) > len(department):
            number = number[len(department) :]
    number = number.lstrip("0") or "0"
    if not number.isdigit() or len(number) > 2:
        return ""
    return department + number.zfill(2)


def parse_flag(value: str) -> int | None:
    lowered = value.strip().lower()
    if lowered in _YES:
        return 1
    if lowered in _NO:
        return 0
    return None
