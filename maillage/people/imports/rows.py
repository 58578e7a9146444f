"""Turning one file row into one staging row, or into a rejection reason.

This runs once per row of a million-row roll, so the converter is built once per file (column
positions resolved to an `itemgetter`) and every normalisation that repeats across rows
(folded names, streets, dates, constituency codes, extra-column JSON) is memoised in plain
dicts: a roll has far fewer distinct streets, first names and birth dates than rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from operator import itemgetter

from django.utils.translation import gettext as _

from maillage.people.imports.presets import ROLL_PRESETS, STATION_LABEL_FIELDS
from maillage.people.models import SuppressionEntry
from maillage.people.normalise import (
    fold,
    ledger_hash,
    normalise_email,
    normalise_phone,
    phone_is_mobile,
    street_key,
    street_name_key,
    street_number_key,
)

# Staging columns, in order; the writer creates the staging table from this list.
STAGING_COLUMNS: list[tuple[str, str]] = [
    ("line_no", "int"), ("birth_name", "text"), ("usage_name", "text"), ("first_names", "text"), ("sex", "text"),
    ("birth_year", "int"), ("birth_month", "int"), ("birth_day", "int"), ("birth_place", "text"), ("birth_place_code", "text"),
    ("birth_department", "text"), ("birth_country", "text"), ("nationality", "text"), ("roll_commune_code", "text"),
    ("roll_station_code", "text"), ("roll_number", "int"), ("roll_list_type", "text"), ("address_number", "text"),
    ("address_street", "text"), ("address_complement", "text"), ("address_complement2", "text"), ("address_locality", "text"),
    ("postcode", "text"), ("commune_name", "text"), ("country", "text"), ("building_key", "text"), ("household_key", "text"),
    ("commune_code", "text"), ("polling_station_code", "text"), ("constituency_code", "text"), ("department_code", "text"),
    ("search_name", "text"), ("extra", "text"), ("ident", "text"), ("email", "text"), ("email_optout", "int"),
    ("consent_email", "int"), ("mobile", "text"), ("landline", "text"), ("sms_optout", "int"), ("call_optout", "int"),
    ("consent_sms", "int"), ("consent_phone", "int"), ("profession", "text"), ("profession_slug", "text"), ("tag", "text"),
    ("tag_slug", "text"),
]  # fmt: skip
STAGING_NAMES = [name for name, _kind in STAGING_COLUMNS]
# The person columns copied from staging as they are.
PERSON_COLUMNS = STAGING_NAMES[1:33]

SUPPRESSED = object()  # returned instead of a row: the ledger says this person must not come back

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[a-z0-9-]{2,}$")
_SEX = {
    "f": "F", "femme": "F", "mme": "F", "madame": "F", "mlle": "F", "mademoiselle": "F", "female": "F", "w": "F",
    "m": "M", "h": "M", "homme": "M", "m.": "M", "mr": "M", "monsieur": "M", "male": "M",
}  # fmt: skip
_YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
_NO = {"non", "n", "no", "0", "false", "faux"}
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


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


class RowConverter:
    """Built once per file; `convert(fields)` returns a staging tuple, SUPPRESSED, or a reason (str)."""

    def __init__(
        self,
        *,
        headers: list[str],
        mapping: dict[str, str],
        preset: str,
        ledger: Ledger,
        today: date | None = None,
    ) -> None:
        self.width = len(headers)
        self.is_roll = preset in ROLL_PRESETS
        self.ledger = ledger
        self.max_year = (today or date.today()).year
        fields = {}
        extra_headers: list[tuple[int, str]] = []
        for index, header in enumerate(headers):
            target = mapping.get(header, "")
            if target and target not in fields:
                fields[target] = index
            elif not target and header:
                extra_headers.append((index, header))
        self.present = set(fields)
        wanted = [
            "birth_name", "usage_name", "first_names", "sex", "birth_date", "birth_year", "birth_place", "birth_place_code",
            "birth_department", "birth_country", "nationality", "roll_commune_code", "roll_station_code", "roll_number",
            "roll_list_type", "department_code", "constituency", "address_number", "street_type", "address_street",
            "address_complement", "address_complement2", "address_locality", "postcode", "commune_name", "country", "email",
            "mobile", "landline", "phone", "profession", "tag", "consent_email", "consent_sms", "consent_phone",
        ]  # fmt: skip
        self.fields = fields
        # Station labels of roll files, by (commune, station): written once per station.
        self.label_getter = itemgetter(
            *[fields.get(name, self.width) for name in STATION_LABEL_FIELDS]
        )
        self.has_labels = any(name in fields for name in STATION_LABEL_FIELDS)
        self.stations: dict[tuple[str, str], tuple[str, ...]] = {}
        # Missing fields read the sentinel "" appended at the end of every row.
        self.getter = itemgetter(*[fields.get(name, self.width) for name in wanted])
        self.extra_getter = (
            itemgetter(*[index for index, _h in extra_headers]) if extra_headers else None
        )
        self.extra_names = [header for _i, header in extra_headers]
        self._fold: dict[str, str] = {}
        self._dates: dict[str, tuple[int | None, int | None, int | None] | str] = {}
        self._codes: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self._constituencies: dict[tuple[str, str], str] = {}
        self._extras: dict[tuple[str, ...], str] = {}
        self._phones: dict[str, tuple[str, str] | None] = {}
        self._slugs: dict[str, tuple[str, str]] = {}
        self._sexes: dict[str, str] = {}
        self._date_parts: dict[str, tuple[int | None, int | None, int | None, str] | str] = {}
        self._batch_codes: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._street_names: dict[str, str] = {}
        self._number_keys: dict[str, str] = {}
        self._first_words: dict[str, str] = {}
        self.extra_indexes = [index for index, _h in extra_headers]
        self.impossible_date = _("date de naissance impossible : %(date)s")
        self._buildings: dict[tuple[str, str, str], str] = {}
        self.wrong_width = _("nombre de colonnes incorrect : %(found)s au lieu de %(expected)s")
        self.expected = self.width

    # Memoised helpers -------------------------------------------------------------------
    def _date_parts_of(self, raw: str) -> tuple[int | None, int | None, int | None, str] | str:
        born = self._parse_date(raw)
        if isinstance(born, str):
            return born
        year, month, day = born
        return year, month, day, f"{year or 0:04d}-{month or 0:02d}-{day or 0:02d}"

    def fold(self, text: str) -> str:
        folded = self._fold.get(text)
        if folded is None:
            if len(self._fold) > 300_000:  # memory stays flat on huge files
                self._fold.clear()
            folded = self._fold[text] = fold(text)
        return folded

    def date(self, raw: str) -> tuple[int | None, int | None, int | None] | str:
        parsed = self._dates.get(raw)
        if parsed is None:
            parsed = self._dates[raw] = self._parse_date(raw)
        return parsed

    def _parse_date(self, raw: str) -> tuple[int | None, int | None, int | None] | str:
        text = raw.strip()
        if not text:
            return (None, None, None)
        if "-" in text and len(text) >= 8 and text[4] == "-":  # ISO, from spreadsheets
            parts = text[:10].split("-")
            parts = [parts[2], parts[1], parts[0]] if len(parts) == 3 else parts
        else:
            parts = text.split(" ")[0].split("/")
        impossible = self.impossible_date % {"date": text}
        try:
            numbers = [int(part) for part in parts]
        except ValueError:
            return impossible
        if len(numbers) == 1:
            day, month, year = 0, 0, numbers[0]
        elif len(numbers) == 3:
            day, month, year = numbers
        else:
            return impossible
        if not 1880 <= year <= self.max_year:
            return impossible
        if month == 0:
            return (year, None, None) if day == 0 else impossible
        if month > 12:
            return impossible
        if day == 0:
            return (year, month, None)
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        if day > _DAYS[month - 1] or (month == 2 and day == 29 and not leap):
            return impossible
        return (year, month, day)

    def phone(self, raw: str) -> tuple[str, str] | None:
        """(E.164, kind) or None when invalid; memoised because phonenumbers is slow."""
        if raw in self._phones:
            return self._phones[raw]
        e164 = normalise_phone(raw)
        result = (e164, "mobile" if phone_is_mobile(e164) else "landline") if e164 else None
        if len(self._phones) < 200_000:
            self._phones[raw] = result
        return result

    def slug(self, raw: str) -> tuple[str, str]:
        found = self._slugs.get(raw)
        if found is None:
            name = " ".join(raw.split())[:100]
            found = self._slugs[raw] = (name, self.fold(name).replace(" ", "-")[:120])
        return found

    # The hot path ------------------------------------------------------------------------
    def convert(self, line_no: int, row: list[str]) -> tuple | object | str:
        if len(row) != self.width:
            # Trailing empty cells from spreadsheets are not a wrong count.
            if len(row) > self.width and not any(row[self.width :]):
                del row[self.width :]
            else:
                return self.wrong_width % {"found": len(row), "expected": self.expected}
        row.append("")
        (
            birth_name, usage_name, first_names, sex, birth_date, birth_year_raw, birth_place, birth_place_code,
            birth_department, birth_country, nationality, roll_commune_raw, roll_station_raw, roll_number_raw,
            roll_list_type, department_raw, constituency_raw, address_number, street_type, address_street,
            address_complement, address_complement2, address_locality, postcode, commune_name, country, email_raw,
            mobile_raw, landline_raw, phone_raw, profession, tag, consent_email_raw, consent_sms_raw, consent_phone_raw,
        ) = self.getter(row)  # fmt: skip
        birth_name = birth_name.strip()
        usage_name = usage_name.strip()
        if not birth_name and not usage_name:
            return _("nom manquant")
        first_names = first_names.strip()
        born = self.date(birth_date or birth_year_raw)
        if isinstance(born, str):
            return born
        year, month, day = born

        # Official codes.
        codes_key = (roll_commune_raw, department_raw, roll_station_raw)
        codes = self._codes.get(codes_key)
        if codes is None:
            commune = normalise_commune_code(roll_commune_raw, department_raw)
            department = department_raw.strip().upper() or department_of(commune)
            station = station_code(roll_station_raw) if roll_station_raw.strip() else ""
            codes = self._codes[codes_key] = (commune, department, station)
        commune, department, station = codes
        constituency = ""
        if constituency_raw:
            known = self._constituencies.get((department, constituency_raw))
            if known is None:
                known = self._constituencies[(department, constituency_raw)] = constituency_code(
                    department, constituency_raw
                )
            constituency = known
        roll_number = None
        if roll_number_raw:
            try:
                roll_number = int(roll_number_raw)
            except ValueError:
                return _("numéro d'ordre invalide : %(value)s") % {"value": roll_number_raw}
        if self.is_roll:
            if not commune:
                return _("code commune manquant")
            if roll_number is None:
                return _("numéro d'ordre manquant")
        if not (commune and station and roll_number is not None):
            roll_number = None  # no roll identity without all three parts
        polling_station = f"{commune}_{station}" if commune and station else ""

        # Address keys.
        if street_type:
            address_street = f"{street_type.strip()} {address_street.strip()}".strip()
        # Same keys as normalise.street_key/household_key, memoised per building.
        building_key = self._buildings.get((address_number, address_street, postcode))
        if building_key is None:
            if len(self._buildings) > 200_000:
                self._buildings.clear()
            building_key = self._buildings[(address_number, address_street, postcode)] = street_key(
                address_number, address_street, postcode
            )
        household = f"{building_key}|{self.fold(address_complement)}" if building_key else ""

        # Contact details.
        email = ""
        email_optout = 0
        if email_raw:
            email = normalise_email(email_raw)
            if email and not _EMAIL.match(email):
                return _("e-mail invalide : %(value)s") % {"value": email_raw.strip()}
        mobile = landline = ""
        for raw in (mobile_raw, landline_raw, phone_raw):
            if raw and raw.strip():
                parsed = self.phone(raw)
                if parsed is None:
                    return _("téléphone invalide : %(value)s") % {"value": raw.strip()}
                if parsed[1] == "mobile" and not mobile:
                    mobile = parsed[0]
                elif not landline and parsed[0] != mobile:
                    landline = parsed[0]

        folded_birth = self.fold(birth_name)
        folded_first = self.fold(first_names)
        ident = f"{folded_birth}|{folded_first.split(' ')[0] if first_names else ''}|{year or 0:04d}-{month or 0:02d}-{day or 0:02d}"

        # The suppression ledger, hashed only when it holds something of that kind.
        ledger = self.ledger
        if ledger.identity_all and ledger_hash("identity", ident) in ledger.identity_all:
            return SUPPRESSED
        sms_optout = call_optout = 0
        if email and (ledger.email_all or ledger.email_optout):
            email_hash = ledger_hash("email", email)
            if email_hash in ledger.email_all:
                return SUPPRESSED
            email_optout = 1 if email_hash in ledger.email_optout else 0
        if (mobile or landline) and (ledger.phone_all or ledger.sms_optout or ledger.call_optout):
            for number in (mobile, landline):
                if number:
                    phone_hash = ledger_hash("phone", number)
                    if phone_hash in ledger.phone_all:
                        return SUPPRESSED
                    sms_optout |= phone_hash in ledger.sms_optout
                    call_optout |= phone_hash in ledger.call_optout

        if self.has_labels and roll_number is not None:
            self.stations[(commune, station)] = tuple(v.strip() for v in self.label_getter(row))
        extra = "{}"
        if self.extra_getter is not None:
            values = self.extra_getter(row)
            if values.__class__ is not tuple:
                values = (values,)
            cached = self._extras.get(values)
            if cached is None:
                cached = self._extra_json(values)
                if len(self._extras) < 50_000:
                    self._extras[values] = cached
            extra = cached

        profession_name = profession_slug = tag_name = tag_slug = ""
        if profession and profession.strip():
            profession_name, profession_slug = self.slug(profession)
        if tag and tag.strip():
            tag_name, tag_slug = self.slug(tag)

        search_name = " ".join(
            part for part in (folded_first, self.fold(usage_name), folded_birth) if part
        )
        return (
            line_no, birth_name, usage_name, first_names, _SEX.get(sex.strip().lower(), "") if sex else "",
            year, month, day, birth_place.strip(), birth_place_code.strip(), birth_department.strip(), birth_country.strip(),
            nationality.strip(), commune if roll_number is not None else "", station if roll_number is not None else "",
            roll_number, roll_list_type.strip(), address_number.strip(), address_street.strip(), address_complement.strip(),
            address_complement2.strip(), address_locality.strip(), postcode.strip(), commune_name.strip(), country.strip(),
            building_key, household, commune, polling_station, constituency, department if commune else department_raw.strip(),
            search_name, extra, ident, email, email_optout, parse_flag(consent_email_raw) if consent_email_raw else None,
            mobile, landline, int(sms_optout), int(call_optout),
            parse_flag(consent_sms_raw) if consent_sms_raw else None,
            parse_flag(consent_phone_raw) if consent_phone_raw else None,
            profession_name, profession_slug, tag_name, tag_slug,
        )  # fmt: skip

    # The batch path -------------------------------------------------------------------------
    def convert_batch(
        self, numbers: list[int], rows: list[list[str]]
    ) -> tuple[list[tuple], list[tuple[int, list[str], str]], int]:
        """Convert a batch of rows column by column: (staging tuples, rejected rows, suppressed).

        The same result as `convert` row by row (a test holds them equal), several times faster:
        every normalisation runs once per distinct value of a column (the caches outlive the
        batch), checks look at distinct values first, and rows are cut into columns and put
        back together by `zip`, in C. Rows that are unusual in any way (wrong width, a failed
        check, contact details, the ledger) go through `convert` itself, which stays the one
        definition of what a row becomes.
        """
        width = self.width
        slow: set[int] = set()
        if set(map(len, rows)) - {width}:
            slow = {index for index, row in enumerate(rows) if len(row) != width}
            positions = [index for index in range(len(rows)) if index not in slow]
            regular = [rows[index] for index in positions]
        else:
            positions = list(range(len(rows)))
            regular = rows
        size = len(regular)
        columns = list(zip(*regular, strict=True)) if size else [()] * width
        fields = self.fields
        empty = ("",) * size  # an unmapped field: a column of empty cells

        def column(name: str) -> Sequence[str]:
            index = fields.get(name)
            return columns[index] if index is not None else empty

        def stripped(name: str) -> Sequence[str]:
            index = fields.get(name)
            return list(map(str.strip, columns[index])) if index is not None else empty

        def memo(
            cache: dict, compute: Callable, keys: Sequence, distinct: set | None = None
        ) -> list:
            for key in (set(keys) if distinct is None else distinct).difference(cache):
                cache[key] = compute(key)
            return list(map(cache.__getitem__, keys))

        def where(values: Sequence, bad: set) -> list[int]:
            return [i for i, value in enumerate(values) if value in bad]

        if len(self._fold) > 300_000:  # memory stays flat on huge files
            self._fold.clear()
        flagged: list[int] = []  # positions in `regular` that go through `convert`
        birth_name = stripped("birth_name")
        usage_name = stripped("usage_name")
        first_names = stripped("first_names")
        if "" in birth_name and "" in usage_name:
            flagged += [
                i
                for i, (b, u) in enumerate(zip(birth_name, usage_name, strict=False))
                if not b and not u
            ]

        if "birth_date" in fields and "birth_year" in fields:
            raw_dates: Sequence[str] = [
                a or b for a, b in zip(column("birth_date"), column("birth_year"), strict=False)
            ]
        else:
            raw_dates = column("birth_date" if "birth_date" in fields else "birth_year")
        # (year, month, day, "YYYY-MM-DD") per distinct date; an impossible one is a reason (str).
        distinct_dates = set(raw_dates)
        dates = memo(self._date_parts, self._date_parts_of, raw_dates, distinct_dates)
        bad_dates = {raw for raw in distinct_dates if self._date_parts[raw].__class__ is str}
        if bad_dates:
            flagged += where(raw_dates, bad_dates)
            dates = [(None, None, None, "") if d.__class__ is str else d for d in dates]
        years, months, days, date_texts = zip(*dates, strict=True) if size else ((),) * 4

        department_raw = column("department_code")
        codes = memo(
            self._batch_codes,
            _codes_of,
            list(
                zip(
                    column("roll_commune_code"),
                    department_raw,
                    column("roll_station_code"),
                    column("constituency"),
                    strict=True,
                )
            ),
        )
        communes, departments, stations, polling_stations, constituencies = (
            zip(*codes, strict=True) if size else ((),) * 5
        )

        raw_numbers = column("roll_number")
        roll_numbers: list[int | None]
        try:
            roll_numbers = list(map(int, raw_numbers))
        except ValueError:  # empty or not a number: row by row
            roll_numbers = []
            for i, raw in enumerate(raw_numbers):
                try:
                    roll_numbers.append(int(raw) if raw else None)
                except ValueError:
                    roll_numbers.append(None)
                    flagged.append(i)
        missing_number = None in roll_numbers
        if self.is_roll:
            if "" in set(communes):
                flagged += where(communes, {""})
            if missing_number:
                flagged += where(roll_numbers, {None})
        roll_communes: Sequence[str] = communes
        roll_stations: Sequence[str] = stations
        if missing_number or "" in set(communes) or "" in set(stations):
            # No roll identity without all three parts.
            roll_numbers = [
                number if commune and station and number is not None else None
                for commune, station, number in zip(communes, stations, roll_numbers, strict=False)
            ]
            roll_communes = [
                c if n is not None else "" for c, n in zip(communes, roll_numbers, strict=False)
            ]
            roll_stations = [
                s if n is not None else "" for s, n in zip(stations, roll_numbers, strict=False)
            ]

        # Contact details and campaign columns are checked row by row, in `convert`.
        contact = [
            fields[name]
            for name in (
                "email", "mobile", "landline", "phone", "profession", "tag",
                "consent_email", "consent_sms", "consent_phone",
            )
            if name in fields
        ]  # fmt: skip
        if contact:
            flagged += [
                i
                for i, values in enumerate(zip(*[columns[c] for c in contact], strict=False))
                if any(values)
            ]

        streets: Sequence[str] = column("address_street")
        if "street_type" in fields:
            streets = [
                f"{kind.strip()} {street.strip()}".strip() if kind else street
                for kind, street in zip(column("street_type"), streets, strict=False)
            ]
        # Building and household keys as `street_key` and `household_key` build them, from
        # their parts (streets, numbers and postcodes repeat far more than whole addresses).
        street_names = memo(self._street_names, street_name_key, streets)
        number_keys = memo(self._number_keys, street_number_key, column("address_number"))
        postcode_keys = memo(self._fold, fold, column("postcode"))
        building_keys = [
            f"{p}|{n}|{w}" if w else ""
            for p, n, w in zip(postcode_keys, number_keys, street_names, strict=False)
        ]
        complements = stripped("address_complement")
        households = [
            f"{key}|{complement}" if key else ""
            for key, complement in zip(
                building_keys, memo(self._fold, fold, complements), strict=False
            )
        ]

        folded_birth = memo(self._fold, fold, birth_name)
        folded_first = memo(self._fold, fold, first_names)
        folded_usage = memo(self._fold, fold, usage_name)
        first_words = memo(self._first_words, lambda text: text.split(" ")[0], folded_first)
        idents = list(map("{}|{}|{}".format, folded_birth, first_words, date_texts))
        if self.ledger.identity_all:
            gone = self.ledger.identity_all
            flagged += [
                i for i, ident in enumerate(idents) if ledger_hash("identity", ident) in gone
            ]
        if "" in set(folded_first) or "" in set(folded_birth) or set(folded_usage) != {""}:
            search_names = [
                " ".join(part for part in parts if part)
                for parts in zip(folded_first, folded_usage, folded_birth, strict=True)
            ]
        else:  # the usual roll row: first names and birth name, no usage name
            search_names = list(map("{} {}".format, folded_first, folded_birth))
        sexes: Sequence[str] = empty
        if "sex" in fields:
            sexes = memo(
                self._sexes,
                lambda raw: _SEX.get(raw.strip().lower(), "") if raw else "",
                column("sex"),
            )
        extras: Sequence[str] = ("{}",) * size
        if self.extra_getter is not None:
            extra_columns = [columns[index] for index in self.extra_indexes]
            extras = memo(self._extras, self._extra_json, list(zip(*extra_columns, strict=False)))
            if len(self._extras) > 50_000:
                self._extras.clear()
        if self.has_labels:
            labels = zip(*[stripped(name) for name in STATION_LABEL_FIELDS], strict=True)
            stations_of_rows = zip(roll_communes, roll_stations, strict=True)
            if None in roll_numbers:  # rows without a roll identity name no station
                self.stations.update(
                    (key, label)
                    for key, label, number in zip(
                        stations_of_rows, labels, roll_numbers, strict=True
                    )
                    if number is not None
                )
            else:
                self.stations.update(zip(stations_of_rows, labels, strict=True))

        tail = [
            repeat(value, size) for value in ("", 0, None, "", "", 0, 0, None, None, "", "", "", "")
        ]
        staged_all = zip(
            [numbers[position] for position in positions] if slow else numbers, birth_name, usage_name, first_names,
            sexes, years, months, days, stripped("birth_place"), stripped("birth_place_code"),
            stripped("birth_department"), stripped("birth_country"), stripped("nationality"), roll_communes,
            roll_stations, roll_numbers, stripped("roll_list_type"), stripped("address_number"),
            map(str.strip, streets), complements, stripped("address_complement2"), stripped("address_locality"),
            stripped("postcode"), stripped("commune_name"), stripped("country"), building_keys, households, communes,
            polling_stations, constituencies,
            [d if c else r.strip() for c, d, r in zip(communes, departments, department_raw, strict=False)],
            search_names, extras, idents, *tail, strict=False,
        )  # fmt: skip
        redo = set(flagged)
        if redo:
            staged = [values for i, values in enumerate(staged_all) if i not in redo]
            slow.update(positions[i] for i in redo)
        else:
            staged = list(staged_all)
        rejected: list[tuple[int, list[str], str]] = []
        suppressed = 0
        for index in sorted(slow):
            row = rows[index]
            outcome = self.convert(numbers[index], list(row))
            if outcome.__class__ is tuple:
                staged.append(outcome)  # type: ignore[arg-type]
            elif outcome is SUPPRESSED:
                suppressed += 1
            else:
                rejected.append((numbers[index], row, outcome))  # type: ignore[arg-type]
        if slow:
            staged.sort(key=itemgetter(0))
        return staged, rejected, suppressed

    def _extra_json(self, values: tuple[str, ...]) -> str:
        return json.dumps(
            {
                name: value.strip()
                for name, value in zip(self.extra_names, values, strict=True)
                if value.strip()
            }
        )


def _codes_of(key: tuple[str, str, str, str]) -> tuple[str, str, str, str, str]:
    """(commune, department, station, polling station, constituency) from the raw codes, as
    `convert` reads them."""
    commune_raw, department_raw, station_raw, constituency_raw = key
    commune = normalise_commune_code(commune_raw, department_raw)
    department = department_raw.strip().upper() or department_of(commune)
    station = station_code(station_raw) if station_raw.strip() else ""
    return (
        commune,
        department,
        station,
        f"{commune}_{station}" if commune and station else "",
        constituency_code(department, constituency_raw) if constituency_raw else "",
    )


def build_converter(**kwargs: object) -> Callable[[int, list[str]], tuple | object | str]:
    return RowConverter(**kwargs).convert  # type: ignore[arg-type]
