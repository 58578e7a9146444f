"""What a `RowConverter` resolves once per file (column getters, memos, limits, messages),
and the date group every other group builds on."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from operator import itemgetter

from django.conf import settings
from django.utils.translation import gettext as _

from maillage.people.imports.presets import FIELDS, ROLL_PRESETS, STATION_LABEL_FIELDS
from maillage.people.imports.rows.codes import Ledger
from maillage.people.imports.rows.columns import (
    _checked_person_columns,
    columns_at,
    max_length,
)
from maillage.people.models import EmailAddress, Person, Tag
from maillage.people.normalise import (
    fold,
)
from maillage.territory import selectors as territory_selectors


def _lower_first(label: str) -> str:
    """A mapping-screen label inside a sentence, like the model's verbose names."""
    return label[:1].lower() + label[1:]


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
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


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


def _shown(value: str, length: int = 40) -> str:
    """A value quoted in a rejection reason: its beginning when it is long."""
    return value if len(value) <= length else value[:length] + "…"


class _ConverterState:
    """The per-file set-up of `RowConverter` and its simplest groups (folded text, dates)."""

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
            (limit, _lower_first(str(FIELDS[name])))
            for limit, name in zip(
                territory_selectors.roll_label_limits(), STATION_LABEL_FIELDS, strict=True
            )
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
