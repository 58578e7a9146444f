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
