"""Turning one file row into one staging row, or into a rejection reason.

This runs once per row of a million-row roll, so the converter is built once per file (column
positions resolved to an `itemgetter`) and every normalisation that repeats across rows
(folded names, streets, dates, constituency codes, extra-column JSON) is memoised in plain
dicts: a roll has far fewer distinct streets, first names and birth dates than rows.
"""

from __future__ import annotations

from operator import gt

from maillage.people.imports.rows.columns import _ROLL_NUMBER_RANGE, SUPPRESSED
from maillage.people.imports.rows.groups import _ColumnGroups
from maillage.people.imports.rows.state import _Rejection, _shown
from maillage.people.normalise import (
    ledger_hash,
    sort_key_of_folded,
)

# A roll without label columns: its stations are still registered, by their codes alone.
_NO_LABELS = ("", "", "", "")


class RowConverter(_ColumnGroups):
    """Built once per file; `convert(line_no, fields)` returns a staging tuple, SUPPRESSED, or a
    rejection reason (str). `convert_rows` does the same for a batch.

    The row is read in groups of columns whose result depends on those columns only (names,
    birth date, birth place, official codes, building, extra columns, station labels); each
    group's result is memoised by its raw values, so a million-row roll computes each distinct
    street, date or code once. A group's function is the one definition of what its columns
    become, memoised or not. Checks run in a fixed order, so a row with several problems is
    rejected for the first one: name, birth date, order number, commune, contact details."""

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
            else:  # met without labels: still registered in territory, by its codes
                self.stations[(commune, station)] = _NO_LABELS
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
