"""Turning one file row into one staging row, or into a rejection reason.

This runs once per row of a million-row roll, so the converter is built once per file (column
positions resolved to an `itemgetter`) and every normalisation that repeats across rows
(folded names, streets, dates, constituency codes, extra-column JSON) is memoised in plain
dicts: a roll has far fewer distinct streets, first names and birth dates than rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import gt, itemgetter

from django.conf import settings
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext as _

from maillage.people.imports.presets import ROLL_PRESETS, STATION_LABEL_FIELDS
from maillage.people.models import EmailAddress, Person, RollStation, SuppressionEntry, Tag
from maillage.people.normalise import (
    fold,
    ledger_hash,
    normalise_email,
    normalise_phone,
    phone_is_mobile,
    sort_key_of_folded,
    street_key_of,
    street_name_key,
    street_number_key,
)

# Staging columns, in the order `RowConverter.convert` assembles them (groups of columns that
# come from the same cells stay together); the writer creates the staging table from this list.
STAGING_COLUMNS: list[tuple[str, str]] = [
    ("line_no", "int"),
    ("birth_name", "text"),
    ("usage_name", "text"),
    ("first_names", "text"),
    ("search_name", "text"),
    ("sort_name", "text"),
    ("sex", "text"),
    ("birth_year", "int"),
    ("birth_month", "int"),
    ("birth_day", "int"),
    ("birth_place", "text"),
    ("birth_place_code", "text"),
    ("birth_department", "text"),
    ("birth_country", "text"),
    ("nationality", "text"),
    ("commune_code", "text"),
    ("polling_station_code", "text"),
    ("constituency_code", "text"),
    ("department_code", "text"),
    ("roll_list_type", "text"),
    ("roll_commune_code", "text"),
    ("roll_station_code", "text"),
    ("roll_number", "int"),
    ("address_number", "text"),
    ("address_street", "text"),
    ("postcode", "text"),
    ("building_key", "text"),
    ("address_complement", "text"),
    ("address_complement2", "text"),
    ("address_locality", "text"),
    ("commune_name", "text"),
    ("country", "text"),
    ("household_key", "text"),
    ("extra", "text"),
    # Not person columns: what matching, the ledger and the child rows need.
    ("ident", "text"),
    ("email", "text"),
    ("email_optout", "int"),
    ("consent_email", "int"),
    ("mobile", "text"),
    ("landline", "text"),
    ("sms_optout", "int"),
    ("call_optout", "int"),
    ("consent_sms", "int"),
    ("consent_phone", "int"),
    ("profession", "text"),
    ("profession_slug", "text"),
    ("tag", "text"),
    ("tag_slug", "text"),
]
STAGING_NAMES = [name for name, _kind in STAGING_COLUMNS]
# The person columns copied from staging as they are.
PERSON_COLUMNS = STAGING_NAMES[1 : STAGING_NAMES.index("ident")]

SUPPRESSED = object()  # returned instead of a row: the ledger says this person must not come back

# Keys the converter derives (not a cell of the file): cut to their column's length rather than
# rejecting the row (long names can make a search name longer than its column).
DERIVED_COLUMNS = ("search_name", "sort_name", "building_key", "household_key")
# The columns of the roll's station labels, in STATION_LABEL_FIELDS order.
_STATION_LABEL_COLUMNS = ("commune_label", "station_label", "canton_label", "constituency_label")
_ROLL_NUMBER_RANGE = BaseDatabaseOperations.integer_field_ranges[
    Person._meta.get_field("roll_number").get_internal_type()
]


def max_length(model: type[models.Model], name: str) -> int:
    """The length of a text column, read from its model field (never repeated by hand)."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    assert length is not None, f"{model.__name__}.{name} has no max_length"
    return int(length)


def _label(model: type[models.Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _checked_person_columns() -> list[tuple[int, int, str]]:
    """(position in the staging tuple, max length, label) of every text column of a person the
    converter fills from the file's cells."""
    checked = []
    for position, name in enumerate(STAGING_NAMES):
        if name not in PERSON_COLUMNS or name in DERIVED_COLUMNS or name == "extra":
            continue
        if Person._meta.get_field(name).get_internal_type() != "CharField":
            continue
        checked.append((position, max_length(Person, name), _label(Person, name)))
    return checked


_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[a-z0-9-]{2,}$")
_SEX = {
    "f": "F",
    "femme": "F",
    "mme": "F",
    "madame": "F",
    "mlle": "F",
    "mademoiselle": "F",
    "female": "F",
    "w": "F",
    "m": "M",
    "h": "M",
    "homme": "M",
    "m.": "M",
    "mr": "M",
    "monsieur": "M",
    "male": "M",
}
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


class _Rejection(str):
    """A rejection reason where a group of columns otherwise gives a string (the extra JSON)."""

    __slots__ = ()


class _Memo(dict):
    """A dict that forgets everything past `limit` entries: memory stays flat on huge files,
    and a roll sorted by polling station keeps its repeats (streets, names) close together."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: object, value: object) -> None:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value


class RowConverter:
    """Built once per file; `convert(line_no, fields)` returns a staging tuple, SUPPRESSED, or a
    rejection reason (str). `convert_rows` does the same for a batch.

    The row is read in groups of columns whose result depends on those columns only (names,
    birth date, birth place, official codes, building, extra columns, station labels); each
    group's result is memoised by its raw values, so a million-row roll computes each distinct
    street, date or code once. A group's function is the one definition of what its columns
    become, memoised or not. Checks run in a fixed order, so a row with several problems is
    rejected for the first one: name, birth date, order number, commune, contact details."""

    def __init__(
        self,
        *,
        headers: list[str],
        mapping: dict[str, str],
        preset: str,
        ledger: Ledger,
        today: date | None = None,
        max_extra: int | None = None,
    ) -> None:
        self.width = len(headers)
        self.preset = preset
        self.is_roll = preset in ROLL_PRESETS
        self.ledger = ledger
        self.max_year = (today or date.today()).year
        fields: dict[str, int] = {}
        extra_headers: list[tuple[int, str]] = []
        for index, header in enumerate(headers):
            target = mapping.get(header, "")
            if target and target not in fields:
                fields[target] = index
            elif not target and header:
                extra_headers.append((index, header))
        self.fields = fields
        self.present = set(fields)
        blank = self.width  # every row gets one "" appended: an unmapped field reads it

        def columns(*names: str) -> Callable[[list[str]], tuple[str, ...]]:
            return columns_at([fields.get(name, blank) for name in names])

        def column(name: str) -> Callable[[list[str]], str]:
            return itemgetter(fields.get(name, blank))

        self._names_of = columns("birth_name", "usage_name", "first_names")
        self._sex_of = column("sex")
        self._date_of = column("birth_date")
        self._year_of = column("birth_year") if "birth_year" in fields else None
        self._place_of = columns(
            "birth_place", "birth_place_code", "birth_department", "birth_country", "nationality"
        )
        self._codes_of = columns(
            "roll_commune_code",
            "department_code",
            "roll_station_code",
            "constituency",
            "roll_list_type",
        )
        self._number_of = column("roll_number")
        self._building_of = columns("address_number", "street_type", "address_street", "postcode")
        self._rest_of = columns(
            "address_complement",
            "address_complement2",
            "address_locality",
            "commune_name",
            "country",
        )
        self.has_labels = any(name in fields for name in STATION_LABEL_FIELDS)
        self._labels_of = columns(*STATION_LABEL_FIELDS)
        self.extra_names = [header for _index, header in extra_headers]
        self._extra_of = (
            columns_at([index for index, _header in extra_headers]) if extra_headers else None
        )
        # A row may fill at most this many extra columns (checked only when the file has more).
        self.max_extra = (
            int(settings.MAILLAGE_IMPORT_MAX_EXTRA_COLUMNS) if max_extra is None else max_extra
        )
        self.too_many_extra = _(
            "colonnes supplémentaires remplies : %(count)s, %(limit)s au plus "
            "(associez-les à des champs ou retirez-les du fichier)"
        )
        contact_fields = (
            "email",
            "mobile",
            "landline",
            "phone",
            "profession",
            "tag",
            "consent_email",
            "consent_sms",
            "consent_phone",
        )
        self.has_contacts = any(name in fields for name in contact_fields)
        self._contacts_of = columns(*contact_fields)
        # Labels of the roll's polling stations, by (commune, station): written once per station.
        self.stations: dict[tuple[str, str], tuple[str, ...]] = {}

        self._fold = _Memo(300_000)
        self._dates = _Memo(100_000)
        self._codes = _Memo(50_000)
        self._buildings = _Memo(100_000)
        self._street_words = _Memo(50_000)
        self._number_keys = _Memo(10_000)
        self._sexes = _Memo(1_000)
        self._labels = _Memo(10_000)
        self._extras = _Memo(50_000)
        self._phones = _Memo(200_000)
        self._slugs = _Memo(10_000)
        self._no_contacts = ("", 0, None, "", "", 0, 0, None, None, "", "", "", "")
        # Column lengths, from the models: a value longer than its column rejects the row,
        # on every database (PostgreSQL would refuse it, SQLite would store it whole).
        checked = _checked_person_columns()
        self._checked = itemgetter(*(position for position, _limit, _name in checked))
        self._limits = tuple(limit for _position, limit, _name in checked)
        self._checked_labels = [(position, name) for position, _limit, name in checked]
        self.search_name_length = max_length(Person, "search_name")
        self.building_key_length = max_length(Person, "building_key")
        self.household_key_length = max_length(Person, "household_key")
        self.email_length = max_length(EmailAddress, "address")
        self.tag_length = max_length(Tag, "name")
        self.tag_slug_length = max_length(Tag, "slug")
        self.station_labels = [
            (max_length(RollStation, name), _label(RollStation, name))
            for name in _STATION_LABEL_COLUMNS
        ]
        self.too_long = _("%(field)s : %(length)s caractères, %(limit)s au plus")
        self.impossible_date = _("date de naissance impossible : %(date)s")
        self.wrong_width = _("nombre de colonnes incorrect : %(found)s au lieu de %(expected)s")
        self.missing_name = _("nom manquant")
        self.bad_number = _("numéro d'ordre invalide : %(value)s")
        self.missing_commune = _("code commune manquant")
        self.missing_number = _("numéro d'ordre manquant")

    # Groups of columns: each returns what its columns become (or a rejection reason) -------
    def fold(self, text: str) -> str:
        folded = self._fold.get(text)
        if folded is None:
            folded = fold(text)
            self._fold.remember(text, folded)
        return folded

    def date(self, raw: str) -> tuple[int | None, int | None, int | None, str] | str:
        """(year, month, day, "YYYY-MM-DD" with zeros for what is unknown), or a reason."""
        parsed = self._dates.get(raw)
        if parsed is None:
            born = self._parse_date(raw)
            if isinstance(born, str):
                parsed = born
            else:
                year, month, day = born
                parsed = (year, month, day, f"{year or 0:04d}-{month or 0:02d}-{day or 0:02d}")
            self._dates.remember(raw, parsed)
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
        impossible = self.impossible_date % {"date": _shown(text)}
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

    def _official_codes(self, raw: tuple[str, ...]) -> tuple[tuple[str, ...], str, str]:
        """((commune, polling station, constituency, department, list type), commune, station)."""
        codes = self._codes.get(raw)
        if codes is None:
            commune_raw, department_raw, station_raw, constituency_raw, list_type = raw
            commune = normalise_commune_code(commune_raw, department_raw)
            department = department_raw.strip().upper() or department_of(commune)
            station = station_code(station_raw) if station_raw.strip() else ""
            codes = (
                (
                    commune,
                    f"{commune}_{station}" if commune and station else "",
                    constituency_code(department, constituency_raw) if constituency_raw else "",
                    department if commune else department_raw.strip(),
                    list_type.strip(),
                ),
                commune,
                station,
            )
            self._codes.remember(raw, codes)
        return codes

    def _building(self, raw: tuple[str, ...]) -> tuple[str, str, str, str]:
        """(number, street, postcode, building key): the key of `normalise.street_key`, from its
        parts memoised apart (a roll has far fewer streets and numbers than buildings)."""
        building = self._buildings.get(raw)
        if building is None:
            number, street_type, street, postcode = raw
            if street_type:
                street = f"{street_type.strip()} {street.strip()}".strip()
            words = self._street_words.get(street)
            if words is None:
                words = street_name_key(street)
                self._street_words.remember(street, words)
            number_key = self._number_keys.get(number)
            if number_key is None:
                number_key = street_number_key(number)
                self._number_keys.remember(number, number_key)
            building = (
                number.strip(),
                street.strip(),
                postcode.strip(),
                street_key_of(self.fold(postcode), number_key, words)[: self.building_key_length],
            )
            self._buildings.remember(raw, building)
        return building

    def _sex(self, raw: str) -> str:
        sex = self._sexes.get(raw)
        if sex is None:
            sex = _SEX.get(raw.strip().lower(), "") if raw else ""
            self._sexes.remember(raw, sex)
        return sex

    def _station_labels(self, raw: tuple[str, ...]) -> tuple[str, ...] | str:
        """The station's labels, or a reason when one is longer than its column."""
        labels = self._labels.get(raw)
        if labels is None:
            labels = tuple(map(str.strip, raw))
            for label, (limit, name) in zip(labels, self.station_labels, strict=True):
                if len(label) > limit:
                    labels = self.too_long % {"field": name, "length": len(label), "limit": limit}
                    break
            self._labels.remember(raw, labels)
        return labels

    def _extra(self, raw: tuple[str, ...]) -> str:
        """The extra columns as JSON, or (str too, told apart by `convert`) a rejection reason
        when the row fills more of them than `max_extra`."""
        extra = self._extras.get(raw)
        if extra is None:
            if len(raw) > self.max_extra:
                filled = sum(1 for value in raw if value.strip())
                if filled > self.max_extra:
                    reason = self.too_many_extra % {"count": filled, "limit": self.max_extra}
                    self._extras.remember(raw, _Rejection(reason))
                    return _Rejection(reason)
            # Accents as they are (not \u escapes): the same JSON value, and no backslash for
            # the COPY text to escape.
            extra = json.dumps(
                {
                    name: value.strip()
                    for name, value in zip(self.extra_names, raw, strict=True)
                    if value.strip()
                },
                ensure_ascii=False,
            )
            self._extras.remember(raw, extra)
        return extra

    def phone(self, raw: str) -> tuple[str, str] | None:
        """(E.164, kind) or None when invalid; memoised because phonenumbers is slow."""
        if raw in self._phones:
            return self._phones[raw]
        e164 = normalise_phone(raw)
        result = (e164, "mobile" if phone_is_mobile(e164) else "landline") if e164 else None
        self._phones.remember(raw, result)
        return result

    def slug(self, raw: str) -> tuple[str, str]:
        """(tag name, slug); the name is checked against its column by `_contacts`, the slug
        (a key made from it, longer when folding spells œ as oe) is cut to its column."""
        found = self._slugs.get(raw)
        if found is None:
            name = " ".join(raw.split())
            found = (name, self.fold(name).replace(" ", "-")[: self.tag_slug_length])
            self._slugs.remember(raw, found)
        return found

    def _contacts(self, raw: tuple[str, ...]) -> tuple | str:
        """Email, phones, consents, profession and tag (staging order), or a rejection reason.
        The ledger's opt-outs are added by `convert` once the row is known to be kept."""
        (
            email_raw,
            mobile_raw,
            landline_raw,
            phone_raw,
            profession,
            tag,
            consent_email_raw,
            consent_sms_raw,
            consent_phone_raw,
        ) = raw
        email = ""
        if email_raw:
            email = normalise_email(email_raw)
            if email and not _EMAIL.match(email):
                return _("e-mail invalide : %(value)s") % {"value": _shown(email_raw.strip())}
            if len(email) > self.email_length:
                return self.too_long % {
                    "field": _("e-mail"),
                    "length": len(email),
                    "limit": self.email_length,
                }
        mobile = landline = ""
        for value in (mobile_raw, landline_raw, phone_raw):
            if value and value.strip():
                parsed = self.phone(value)
                if parsed is None:
                    return _("téléphone invalide : %(value)s") % {"value": _shown(value.strip())}
                if parsed[1] == "mobile" and not mobile:
                    mobile = parsed[0]
                elif not landline and parsed[0] != mobile:
                    landline = parsed[0]
        profession_name = profession_slug = tag_name = tag_slug = ""
        if profession and profession.strip():
            profession_name, profession_slug = self.slug(profession)
            if len(profession_name) > self.tag_length:
                return self.too_long % {
                    "field": _("profession"),
                    "length": len(profession_name),
                    "limit": self.tag_length,
                }
        if tag and tag.strip():
            tag_name, tag_slug = self.slug(tag)
            if len(tag_name) > self.tag_length:
                return self.too_long % {
                    "field": _("étiquette"),
                    "length": len(tag_name),
                    "limit": self.tag_length,
                }
        return (
            email,
            0,
            parse_flag(consent_email_raw) if consent_email_raw else None,
            mobile,
            landline,
            0,
            0,
            parse_flag(consent_sms_raw) if consent_sms_raw else None,
            parse_flag(consent_phone_raw) if consent_phone_raw else None,
            profession_name,
            profession_slug,
            tag_name,
            tag_slug,
        )

    def _with_contact_ledger(self, contacts: tuple) -> tuple | object:
        """The ledger on the row's email and phones: SUPPRESSED (erasure) or the opt-out flags."""
        ledger = self.ledger
        email, mobile, landline = contacts[0], contacts[3], contacts[4]
        email_optout = sms_optout = call_optout = 0
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
        if not (email_optout or sms_optout or call_optout):
            return contacts
        return (
            email,
            email_optout,
            contacts[2],
            mobile,
            landline,
            int(sms_optout),
            int(call_optout),
            *contacts[7:],
        )

    # The row ---------------------------------------------------------------------------------
    def convert(self, line_no: int, row: list[str]) -> tuple | object | str:
        if len(row) != self.width:
            # Trailing empty cells from spreadsheets are not a wrong count.
            if len(row) > self.width and not any(row[self.width :]):
                del row[self.width :]
            else:
                return self.wrong_width % {"found": len(row), "expected": self.width}
        row.append("")

        # Memoised groups are read inline (`memo.get(key) or compute(key)`): a method call per
        # cell would cost as much as the work itself on a million rows.
        folds = self._fold
        birth_raw, usage_raw, first_raw = self._names_of(row)
        birth_name = birth_raw.strip()
        usage_name = usage_raw.strip()
        if not birth_name and not usage_name:
            return self.missing_name
        first_names = first_raw.strip()
        folded_birth = (folds.get(birth_name) or self.fold(birth_name)) if birth_name else ""
        folded_first = (folds.get(first_names) or self.fold(first_names)) if first_names else ""
        folded_usage = (folds.get(usage_name) or self.fold(usage_name)) if usage_name else ""

        raw_date = self._date_of(row)
        if not raw_date and self._year_of is not None:
            raw_date = self._year_of(row)
        born = self._dates.get(raw_date) or self.date(raw_date)
        if born.__class__ is str:
            return born
        year, month, day, date_text = born  # type: ignore[misc,str-unpack]

        raw_codes = self._codes_of(row)
        codes, commune, station = self._codes.get(raw_codes) or self._official_codes(raw_codes)
        number_raw = self._number_of(row)
        roll_number = None
        if number_raw:
            try:
                roll_number = int(number_raw)
            except ValueError:
                return self.bad_number % {"value": _shown(number_raw)}
            low, high = _ROLL_NUMBER_RANGE
            if not low <= roll_number <= high:
                return self.bad_number % {"value": _shown(number_raw)}
        if self.is_roll:
            if not commune:
                return self.missing_commune
            if roll_number is None:
                return self.missing_number
        if roll_number is not None and not (commune and station):
            roll_number = None  # no roll identity without all three parts

        contacts = self._no_contacts
        if self.has_contacts:
            contacts = self._contacts(self._contacts_of(row))  # type: ignore[assignment]
            if contacts.__class__ is str:
                return contacts

        ident = f"{folded_birth}|{folded_first.split(' ')[0] if first_names else ''}|{date_text}"
        ledger = self.ledger
        if ledger.identity_all and ledger_hash("identity", ident) in ledger.identity_all:
            return SUPPRESSED
        if self.has_contacts:
            contacts = self._with_contact_ledger(contacts)  # type: ignore[assignment]
            if contacts is SUPPRESSED:
                return SUPPRESSED

        if roll_number is None:
            identity: tuple[str, str, int | None] = ("", "", None)
        else:
            identity = (commune, station, roll_number)
            if self.has_labels:
                labels = self._station_labels(self._labels_of(row))
                if labels.__class__ is str:
                    return labels
                self.stations[(commune, station)] = labels  # type: ignore[assignment]
        raw_building = self._building_of(row)
        number, street, postcode, building_key = self._buildings.get(
            raw_building
        ) or self._building(raw_building)
        complement_raw, complement2, locality, commune_name, country = self._rest_of(row)
        household = ""
        if building_key:
            folded = (
                (folds.get(complement_raw) or self.fold(complement_raw)) if complement_raw else ""
            )
            household = f"{building_key}|{folded}"
            if len(household) > self.household_key_length:
                household = household[: self.household_key_length]
        search_name = (
            f"{folded_first} {folded_birth}"
            if folded_first and folded_birth and not folded_usage
            else " ".join(part for part in (folded_first, folded_usage, folded_birth) if part)
        )
        if len(search_name) > self.search_name_length:
            search_name = search_name[: self.search_name_length]
        extra = self._extra(self._extra_of(row)) if self._extra_of is not None else "{}"
        if extra.__class__ is _Rejection:
            return str(extra)
        sex_raw = self._sex_of(row)
        sex = self._sexes.get(sex_raw)
        if sex is None:
            sex = self._sex(sex_raw)
        place, place_code, place_department, place_country, nationality = self._place_of(row)
        staged = (
            line_no,
            birth_name,
            usage_name,
            first_names,
            search_name,
            sort_key_of_folded(folded_usage or folded_birth, folded_first),
            sex,
            year,
            month,
            day,
            place.strip(),
            place_code.strip(),
            place_department.strip(),
            place_country.strip(),
            nationality.strip(),
            *codes,
            *identity,
            number,
            street,
            postcode,
            building_key,
            complement_raw.strip(),
            complement2.strip(),
            locality.strip(),
            commune_name.strip(),
            country.strip(),
            household,
            extra,
            ident,
            *contacts,
        )
        if any(map(gt, map(len, self._checked(staged)), self._limits)):
            return self._too_long_reason(staged)
        return staged

    def _too_long_reason(self, staged: tuple) -> str:
        """The first value longer than its column, as a rejection reason."""
        for (position, name), limit in zip(self._checked_labels, self._limits, strict=True):
            if len(staged[position]) > limit:
                return self.too_long % {
                    "field": name,
                    "length": len(staged[position]),
                    "limit": limit,
                }
        raise AssertionError("no value is too long")  # pragma: no cover

    def convert_rows(
        self, numbers: list[int], rows: list[list[str]]
    ) -> tuple[list[tuple], list[tuple[int, list[str], str]], int]:
        """A batch: (staging tuples, rejected rows as (line, fields, reason), suppressed count)."""
        staged: list[tuple] = []
        rejected: list[tuple[int, list[str], str]] = []
        suppressed = 0
        convert = self.convert
        keep = staged.append
        for line_no, row in zip(numbers, rows, strict=True):
            outcome = convert(line_no, row)
            if outcome.__class__ is tuple:
                keep(outcome)  # type: ignore[arg-type]
            elif outcome is SUPPRESSED:
                suppressed += 1
            else:
                if row and row[-1] == "" and len(row) == self.width + 1:
                    row.pop()  # the blank `convert` appended: the rejected CSV shows the row as read
                rejected.append((line_no, row, outcome))  # type: ignore[arg-type]
        return staged, rejected, suppressed


def _shown(value: str, length: int = 40) -> str:
    """A value quoted in a rejection reason: its beginning when it is long."""
    return value if len(value) <= length else value[:length] + "…"


def columns_at(indexes: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """The cells at these positions, always as a tuple (itemgetter of one index is not)."""
    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: (row[index],)
    return itemgetter(*indexes)
