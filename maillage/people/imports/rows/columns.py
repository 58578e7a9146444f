"""The staging and person columns, and the models' column lengths they are checked against."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from maillage.core.columns import max_length
from maillage.people.models import Person

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
_ROLL_NUMBER_RANGE = BaseDatabaseOperations.integer_field_ranges[
    Person._meta.get_field("roll_number").get_internal_type()
]


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


def columns_at(indexes: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """The cells at these positions, always as a tuple (itemgetter of one index is not)."""
    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: (row[index],)
    return itemgetter(*indexes)
