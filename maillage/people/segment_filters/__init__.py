"""Segment filters: what each `field` of a segment definition means (see `base` for the
registry). This package holds the people app's own filters; importing it registers them."""

from maillage.people.segment_filters import (  # noqa: F401  (each module registers its filters)
    contacts,
    followup,
    person,
    places,
    segment,
    support,
)
from maillage.people.segment_filters.base import (
    CodesFilter,
    CompileContext,
    DescribeContext,
    SegmentError,
    SegmentFilter,
    autodiscover,
    register,
    segment_filter,
    segment_filters,
)

__all__ = [
    "CodesFilter",
    "CompileContext",
    "DescribeContext",
    "SegmentError",
    "SegmentFilter",
    "autodiscover",
    "register",
    "segment_filter",
    "segment_filters",
]
