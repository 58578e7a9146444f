"""Turning one file row into one staging row, or into a rejection reason.

`columns` lists the staging and person columns and their lengths, `codes` the official codes
and the suppression ledger, `state` the converter's per-file set-up, `groups` what each group
of columns becomes, `converter` the row itself. Every name other modules use is here.
"""

from maillage.people.imports.rows.codes import (
    Ledger,
    constituency_code,
    department_of,
    normalise_commune_code,
    parse_flag,
    station_code,
)
from maillage.people.imports.rows.columns import (
    DERIVED_COLUMNS,
    PERSON_COLUMNS,
    STAGING_COLUMNS,
    STAGING_NAMES,
    SUPPRESSED,
    columns_at,
    max_length,
)
from maillage.people.imports.rows.converter import RowConverter

__all__ = [
    "DERIVED_COLUMNS",
    "PERSON_COLUMNS",
    "STAGING_COLUMNS",
    "STAGING_NAMES",
    "SUPPRESSED",
    "Ledger",
    "RowConverter",
    "columns_at",
    "constituency_code",
    "department_of",
    "max_length",
    "normalise_commune_code",
    "parse_flag",
    "station_code",
]
