"""HTML made in Python for the hot tables (#17): the people list's and the close races' rows.

A 50-row table through the template engine costs a variable node, a lookup and an escape per
cell, which made most of those pages' CPU; their rows are built as one string instead, every
value through `escape` here, and printed by the template as it is.
"""

from __future__ import annotations

from html import escape as _escape


def escape(value: object) -> str:
    """`value` as text safe in an element or a quoted attribute: what Django's `escape` (and
    the template's autoescape) prints, the standard library's `html.escape`, without making a
    SafeString of each cell."""
    return _escape(str(value))
