# ruff: noqa: S608 - SQL is built from quoted table and column names and fixed fragments; values are parameters
"""The differences between PostgreSQL and SQLite that bulk writes meet, in one place.

Set-based code (imports, result loads, the progress bar of a long transaction) asks
`dialect()` for a fragment or an operation instead of testing the database's vendor: COPY or
`executemany`, `IS NOT DISTINCT FROM` or `IS`, JSON merges and appends, secondary index
definitions, planner statistics, id reservation. Everything else these callers write is
standard SQL that both databases run as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.db import connection as default_connection


class Dialect:
    """What differs, for one connection. Get one with `dialect()`."""

    vendor = ""
    int_type = "integer"  # the column type of a temporary table's integers
    # COPY … FROM STDIN: rows streamed into a table in one statement, while the caller goes on.
    streams_copy = False
    # A second connection can write (a progress record) while this one holds a long transaction.
    concurrent_writers = False
    # The planner joins a temporary table to a big one by nested loops: it needs an index on the
    # temporary table's join columns (PostgreSQL sorts both sides instead, a merge join).
    needs_join_indexes = False

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    # Helpers -------------------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return str(self.connection.ops.quote_name(name))

    def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return int(cursor.rowcount)

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            row = cursor.fetchone()
            return row[0] if row else None

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return list(cursor.fetchall())

    # SQL fragments -----------------------------------------------------------------------------
    def same(self, left: str, right: str) -> str:
        """`left` equals `right`, NULL equal to NULL."""
        raise NotImplementedError

    def json(self, text: str) -> str:
        """A JSON value of the column type from JSON text (a column or a placeholder)."""
        raise NotImplementedError

    def json_array(self, text: str) -> str:
        """A one-element JSON array holding the string `text` (a placeholder)."""
        raise NotImplementedError

    def json_array_add(self, column: str) -> tuple[str, str]:
        """(the array `column` with the string placeholder appended when absent, the test that
        it is present). Each has its placeholders: pass the value twice, then once."""
        raise NotImplementedError

    def json_merge(self, column: str, patch: str) -> tuple[str, str]:
        """(the object `column` with the keys of `patch` (JSON text) set to `patch`'s values,
        the test that `patch` changes nothing). One statement merges a whole batch: each row's
        merge costs a sort of its keys, never a scan of one object per key of the other."""
        raise NotImplementedError

    # Operations --------------------------------------------------------------------------------
    def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Rows into `table` in one statement (COPY) or one prepared statement run per row."""
        raise NotImplementedError

    @contextmanager
    def copy_stream(self, table: str, columns: Sequence[str]) -> Iterator[Any]:
        """An open COPY of text-format data into `table` (`write(bytes)`); only where
        `streams_copy`. Leaving the block with an exception ends the COPY with an error."""
        raise NotImplementedError
        yield  # pragma: no cover

    def bulk_session_begin(self) -> None:
        """Before a session's big load into temporary tables: more memory for them."""

    def bulk_session_end(self) -> None:
        """After it: the session's defaults again."""

    def analyze(self, table: str, columns: Sequence[str] = ()) -> None:
        """Fresh planner statistics for these columns (where the planner uses them)."""

    def analyze_after_load(self, table: str, added: int, columns: Sequence[str] = ()) -> None:
        """After `added` rows went into `table`: fresh statistics when the planner's picture of
        the table is now wrong (where the planner keeps one)."""

    def row_estimate(self, table: str) -> int:
        """The table's row count, or the planner's estimate of it where that is cheaper."""
        return int(self.scalar(f"SELECT COUNT(*) FROM {self.quote(table)}") or 0)

    def planned_rows(self, table: str) -> int:
        """The number of rows the planner believes the table holds."""
        return self.row_estimate(table)

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the table's non-unique indexes."""
        raise NotImplementedError

    def drop_secondary_indexes(self, table: str) -> list[str]:
        """Drop the table's non-unique indexes before a big load, inside its transaction;
        return the statements that rebuild them (`create_indexes`)."""
        indexes = self.secondary_indexes(table)
        for name, _definition in indexes:
            self.execute(f"DROP INDEX {self.quote(name)}")
        return [definition for _name, definition in indexes]

    def create_indexes(self, definitions: Sequence[str]) -> None:
        for definition in definitions:
            self.execute(definition)

    def claim_one(
        self,
        table: str,
        *,
        where: str,
        where_params: Sequence[Any],
        order: str,
        assignments: str,
        assignment_params: Sequence[Any],
    ) -> int | None:
        """Take one row of `table` matching `where` (the first by `order`) for this caller:
        apply `assignments` (a SET list) to it and return its id, or None when no row is free.
        Two concurrent callers never take the same row (phone-bank claims, work queues).
        Datetime parameters are stored the way the ORM stores them (UTC text on SQLite)."""
        raise NotImplementedError

    def params(self, values: Sequence[Any]) -> list[Any]:
        """Raw-SQL parameters as the ORM would write them (aware datetimes in UTC on SQLite)."""
        adapt = self.connection.ops.adapt_datetimefield_value
        return [adapt(value) if isinstance(value, datetime) else value for value in values]

    def reserve_ids(self, table: str, count: int) -> int:
        """Take ids `base + 1` … `base + count` of `table`'s auto-increment primary key for
        explicit inserts (nobody else gets one); return `base`. Inside the load's transaction."""
        raise NotImplementedError

    def update_rows(
        self,
        table: str,
        key: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[Any]],
    ) -> int:
        """Set `columns` ((name, SQL type), …) of the rows whose `key` (a bigint) is each row's
        first value, from `rows` ((key, value, …), …), in one `UPDATE … FROM <rows as a table>`
        (or a few, where parameters per statement are limited): linear in the rows, where
        Django's `bulk_update` builds a CASE per column whose every row scans all the WHENs.
        Returns the number of rows updated."""
        raise NotImplementedError


class PostgreSQLDialect(Dialect):
    vendor = "postgresql"
    int_type = "bigint"
    streams_copy = True
    concurrent_writers = True

    def update_rows(
        self,
        table: str,
        key: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[Any]],
    ) -> int:
        # One array per column, unnested into a table: one statement and as many parameters as
        # columns, whatever the number of rows (a VALUES list of thousands of placeholders costs
        # more to parse than to run).
        if not rows:
            return 0
        names = [key, *(name for name, _type in columns)]
        types = ["bigint", *(sql_type for _name, sql_type in columns)]
        table_name = self.quote(table)
        assignments = ", ".join(f"{self.quote(n)} = v.{self.quote(n)}" for n in names[1:])
        arrays = ", ".join(f"%s::{sql_type}[]" for sql_type in types)
        alias = ", ".join(self.quote(n) for n in names)
        return self.execute(
            f"UPDATE {table_name} SET {assignments} FROM unnest({arrays}) AS v({alias}) "
            f"WHERE {table_name}.{self.quote(key)} = v.{self.quote(key)}",
            [list(values) for values in zip(*rows, strict=True)],
        )

    def same(self, left: str, right: str) -> str:
        return f"{left} IS NOT DISTINCT FROM {right}"

    def json(self, text: str) -> str:
        return f"{text}::jsonb"

    def json_array(self, text: str) -> str:
        return f"jsonb_build_array({text}::text)"

    def json_array_add(self, column: str) -> tuple[str, str]:
        return (
            f"CASE WHEN {column} ? %s::text THEN {column} ELSE {column} || jsonb_build_array(%s::text) END",
            f"{column} ? %s::text",
        )

    def json_merge(self, column: str, patch: str) -> tuple[str, str]:
        # jsonb keeps its keys sorted: `||` merges two sorted lists, `@>` probes by binary search.
        return f"{column} || {patch}::jsonb", f"{column} @> {patch}::jsonb"

    def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        # COPY in text format, one tuple per row: psycopg's C implementation formats the rows
        # (three times faster than going through the csv module and one big string).
        # None → NULL, "" stays an empty string.
        names = ", ".join(self.quote(column) for column in columns)
        with (
            self.connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {self.quote(table)} ({names}) FROM STDIN") as copy,
        ):
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    @contextmanager
    def copy_stream(self, table: str, columns: Sequence[str]) -> Iterator[Any]:
        names = ", ".join(self.quote(column) for column in columns)
        with (
            self.connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {self.quote(table)} ({names}) FROM STDIN") as copy,
        ):
            yield copy

    def bulk_session_begin(self) -> None:
        # Temporary tables read several times over: room for them in the session's local
        # buffers (8 MB by default) rather than going back to the kernel page by page.
        # PostgreSQL allows this only before the session's first temporary table; a later load
        # in the same connection keeps the size the first one set.
        try:
            with transaction.atomic(using=self.connection.alias):
                self.execute("SET temp_buffers = '256MB'")
        except DatabaseError:
            pass

    def analyze(self, table: str, columns: Sequence[str] = ()) -> None:
        # Temporary tables are never analysed automatically; naming the columns a plan needs
        # keeps it to milliseconds (all columns of a million rows cost seconds).
        names = f" ({', '.join(self.quote(column) for column in columns)})" if columns else ""
        self.execute(f"ANALYZE {self.quote(table)}{names}")

    def analyze_after_load(self, table: str, added: int, columns: Sequence[str] = ()) -> None:
        # Many rows, or at least as many as the planner thought the table held: a table it
        # believes empty (a first load, before autovacuum comes by) gets nested loops that scan
        # a temporary table once per row (a re-import of 5,000 voters: 40 s instead of 1 s).
        if added > 10_000 or (added and added >= self.planned_rows(table)):
            self.analyze(table, columns)

    def planned_rows(self, table: str) -> int:
        return int(
            self.scalar(
                "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [self.quote(table)],
            )
            or 0
        )

    def row_estimate(self, table: str) -> int:
        # The planner's estimate for a big table: enough to compare a load with its size.
        # Below 100,000 rows (or never analysed) the count itself, which costs milliseconds:
        # the estimate of a small table may be far off (statistics lag behind, and an ANALYZE
        # in a transaction that rolled back still counted its rows).
        return int(
            self.scalar(
                f"""SELECT CASE WHEN reltuples < 100000 THEN (SELECT COUNT(*) FROM {self.quote(table)})
                ELSE reltuples::bigint END FROM pg_class WHERE oid = to_regclass(%s)""",
                [self.quote(table)],
            )
            or 0
        )

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        return self.rows(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
            [table],
        )

    def drop_secondary_indexes(self, table: str) -> list[str]:
        definitions = super().drop_secondary_indexes(table)
        # The rebuild sorts each index once: memory for the sort (the default is 64 MB).
        self.execute("SET LOCAL maintenance_work_mem = '256MB'")
        return definitions

    def create_indexes(self, definitions: Sequence[str]) -> None:
        if not definitions:
            return
        # PostgreSQL refuses CREATE INDEX while deferred FK checks of the load are pending.
        self.execute("SET CONSTRAINTS ALL IMMEDIATE")
        super().create_indexes(definitions)
        self.execute("SET CONSTRAINTS ALL DEFERRED")

    def reserve_ids(self, table: str, count: int) -> int:
        quoted = self.quote(table)
        # No other insert may take an id of the block between reading and moving the sequence.
        self.execute(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE")
        sequence = self.scalar("SELECT pg_get_serial_sequence(%s, 'id')", [quoted])
        base = int(
            self.scalar(
                f"""SELECT GREATEST(COALESCE((SELECT MAX(id) FROM {quoted}), 0),
                (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}))"""
            )
            or 0
        )
        self.scalar("SELECT setval(%s::regclass, %s)", [sequence, base + count])
        return base

    def claim_one(
        self,
        table: str,
        *,
        where: str,
        where_params: Sequence[Any],
        order: str,
        assignments: str,
        assignment_params: Sequence[Any],
    ) -> int | None:
        # SKIP LOCKED: a row another transaction is taking is passed over, not waited for, so
        # concurrent claims each lock a different row without queueing behind each other.
        quoted = self.quote(table)
        claimed = self.scalar(
            f"""UPDATE {quoted} SET {assignments} WHERE id = (SELECT id FROM {quoted}
            WHERE {where} ORDER BY {order} LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id""",
            self.params([*assignment_params, *where_params]),
        )
        return None if claimed is None else int(claimed)


class SQLiteDialect(Dialect):
    vendor = "sqlite"
    needs_join_indexes = True

    def update_rows(
        self,
        table: str,
        key: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[Any]],
    ) -> int:
        # A VALUES list per chunk of rows (as many as the parameters a statement takes). SQLite
        # names its columns column1, column2… and takes no column aliases; a WITH before the
        # UPDATE would name them, but the driver then reports no row count.
        names = [key, *(name for name, _type in columns)]
        width = len(names)
        per_chunk = max(1, (self.connection.features.max_query_params or 999) // width)
        table_name = self.quote(table)
        assignments = ", ".join(f"{self.quote(n)} = v.{self.quote(n)}" for n in names[1:])
        named = ", ".join(f"column{i} AS {self.quote(n)}" for i, n in enumerate(names, 1))
        row = "(" + ", ".join(["%s"] * width) + ")"
        updated = 0
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            values = ", ".join([row] * len(chunk))
            updated += self.execute(
                f"UPDATE {table_name} SET {assignments} FROM (SELECT {named} FROM (VALUES {values})) AS v "
                f"WHERE {table_name}.{self.quote(key)} = v.{self.quote(key)}",
                [value for values_of_row in chunk for value in values_of_row],
            )
        return updated

    def same(self, left: str, right: str) -> str:
        return f"{left} IS {right}"

    def json(self, text: str) -> str:
        return text

    def json_array(self, text: str) -> str:
        return f"json_array({text})"

    def json_array_add(self, column: str) -> tuple[str, str]:
        present = f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value = %s)"
        return (
            f"CASE WHEN {present} THEN {column} ELSE json_insert({column}, '$[#]', %s) END",
            present,
        )

    def json_merge(self, column: str, patch: str) -> tuple[str, str]:
        # `json_patch` looks each key of the patch up by walking the whole target object: two
        # objects of 50,000 keys cost seconds. Here both objects are listed (`json_each`) and
        # sorted by key once: the patch's value wins (the row with MAX(side) of its key).
        # Each value is carried as JSON text and read back with json(), so strings stay
        # strings, numbers numbers, and nested values whole.
        def pairs(source: str, alias: str, side: int) -> str:
            value = (
                f"CASE {alias}.type WHEN 'object' THEN {alias}.value WHEN 'array' THEN {alias}.value"
                f" WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'"
                f" ELSE json_quote({alias}.value) END"
            )
            return f"SELECT {alias}.key AS key, {value} AS value, {side} AS side FROM json_each({source}) AS {alias}"

        old, new = pairs(column, "o", 0), pairs(patch, "n", 1)
        merged = (
            f"(SELECT json_group_object(key, json(value)) FROM"
            f" (SELECT key, value, MAX(side) FROM ({old} UNION ALL {new}) GROUP BY key))"
        )
        # Nothing to change when every (key, value) of the patch is already there: the union
        # of both sets of pairs is then no bigger than the object's own.
        unchanged = (
            f"({patch} = '{{}}' OR (SELECT COUNT(*) FROM"
            f" (SELECT key, value FROM ({old}) UNION SELECT key, value FROM ({new})))"
            f" = (SELECT COUNT(*) FROM json_each({column})))"
        )
        return f"CASE WHEN {patch} = '{{}}' THEN {column} ELSE {merged} END", unchanged

    def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        names = ", ".join(self.quote(column) for column in columns)
        placeholders = ", ".join("?" for _ in columns)
        # The raw sqlite3 cursor: Django's wrapper would rewrite the statement's placeholders.
        with self.connection.cursor() as cursor:
            cursor.cursor.executemany(
                f"INSERT INTO {self.quote(table)} ({names}) VALUES ({placeholders})", rows
            )

    def bulk_session_begin(self) -> None:
        # A bigger page cache for the time of the load: index maintenance of a million new rows
        # otherwise thrashes SQLite's 2 MB default. Temporary tables stay on disk (temp file):
        # in memory they would grow with the file.
        self.execute("PRAGMA cache_size = -65536")

    def bulk_session_end(self) -> None:
        self.execute("PRAGMA cache_size = -2000")

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        return self.rows(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
            [table],
        )

    def claim_one(
        self,
        table: str,
        *,
        where: str,
        where_params: Sequence[Any],
        order: str,
        assignments: str,
        assignment_params: Sequence[Any],
    ) -> int | None:
        # A compare-and-swap: SQLite runs one writing statement at a time, and the condition is
        # tested again on the row being updated, so the row is still free when it is taken.
        quoted = self.quote(table)
        claimed = self.scalar(
            f"""UPDATE {quoted} SET {assignments} WHERE id = (SELECT id FROM {quoted}
            WHERE {where} ORDER BY {order} LIMIT 1) AND {where} RETURNING id""",
            self.params([*assignment_params, *where_params, *where_params]),
        )
        return None if claimed is None else int(claimed)

    def reserve_ids(self, table: str, count: int) -> int:
        # The load holds SQLite's write lock; explicit ids move AUTOINCREMENT's counter.
        return int(self.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {self.quote(table)}") or 0)


_DIALECTS: dict[str, type[Dialect]] = {
    "postgresql": PostgreSQLDialect,
    "sqlite": SQLiteDialect,
}


def dialect(connection: Any = None) -> Dialect:
    """The dialect of `connection` (Django's default connection when None)."""
    connection = default_connection if connection is None else connection
    try:
        return _DIALECTS[connection.vendor](connection)
    except KeyError:
        raise NotImplementedError(f"no bulk dialect for {connection.vendor}") from None
