"""Query expressions that must read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from django.db.models import Func


class Bytewise(Func):
    """An expression compared byte by byte: SQLite's default (BINARY); on PostgreSQL, whose
    database collation may be `fr_FR.UTF-8` (which skips spaces, so "adamo" would sort between
    "adam emilie" and "adam sophie"), the "C" collation. Use it for ORDER BY on a key already
    folded to plain ASCII, and the same expression in the index that serves that ORDER BY."""

    arity = 1
    template = "%(expressions)s"

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler, connection, template='(%(expressions)s COLLATE "C")', **extra_context
        )


class NotByIndex(Func):
    """The same value, in a form no index serves: `x || ''` for text, `x + 0` for numbers.

    For ORDER BY … LIMIT over a filtered set known to be small. Given an index on the sort key,
    both planners may walk that index and test the filter on each row until the page is full,
    which is fast when matches are spread evenly and reads the whole table when they are not
    (a segment of 1,500 people of one station, all sorting after 980,000 others: 260 ms on
    PostgreSQL at 1 M people). Sorting the few matching rows found by their own index costs
    what they cost. The value, its type and its collation are unchanged."""

    arity = 1

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        internal = self.output_field.get_internal_type()
        text = internal in {"CharField", "TextField", "SlugField", "EmailField"}
        template = "(%(expressions)s || '')" if text else "(%(expressions)s + 0)"
        return super().as_sql(compiler, connection, template=template, **extra_context)
