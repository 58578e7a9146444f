"""Django's SQLite backend, with one change: a statement's placeholders are converted once.

Django writes SQL with `%s` placeholders and its SQLite cursor turns them into `?` with a
regular expression on every execute. A page's compiled reads (core.compiled) send the same
few-kilobyte statements on every request: the conversion was 5 % of a contact sheet's CPU at
1,000,000 people (#17), more than SQLite took to run some of them. Here the converted text is
kept by the statement's text, which also hands the sqlite3 module the very same string, so its
own prepared-statement cache finds it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.backends.sqlite3 import base

# Statements longer than this (a bulk insert's thousands of placeholders) are converted each
# time, as Django does, rather than kept.
KEPT_STATEMENT_LENGTH = 16_384


@lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None and len(query) <= KEPT_STATEMENT_LENGTH:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=SQLiteCursorWrapper)
