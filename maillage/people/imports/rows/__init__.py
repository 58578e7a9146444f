"""Turning one file row into one staging row, or into a rejection reason (see `converter`)."""

from maillage.people.imports.rows.converter import (
    DERIVED_COLUMNS,
    PERSON_COLUMNS,
    STAGING_COLUMNS,
    STAGING_NAMES,
    SUPPRESSED,
    Ledger,
    RowConverter,
    columns_at,
    constituency_code,
    department_of,
    max_length,
    normalise_commune_code,
    parse_flag,
    station_code,
)

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
