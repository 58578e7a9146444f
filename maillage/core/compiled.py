"""Querysets compiled to SQL once per process and day, then bound to each user (#17).

Some hot queries are the same for every user but for the user's id: a volunteer's scope (the
UNION of every assignment source) and what the dashboard counts over it. Building such a
queryset and compiling it cost the ORM several milliseconds of CPU a request, more than the
database took to run it. Here it is built for a placeholder user (an id no user has, the
real user's role), compiled once per process, database, day and caller's key, and each call
gets that SQL with the real id bound where the placeholder's was.

The builder must depend on the user's id, role and today's date only (no other attribute,
no value read from the database in Python: an organiser's zone codes, read first and sent as
values, would be compiled into everyone's SQL). The SQL is Django's own compilation of our
querysets, with no text from a request in it; every value stays a bound parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery
from django.utils import timezone
from psycopg.pq import Format

from maillage.core.memo import remember

# An id no user has: marks where the user's id goes in the compiled parameters.
PLACEHOLDER_USER_ID = -7_340_021_977
# An id no row has: marks where a looked-up id goes (compiled_instances_for_user).
PLACEHOLDER_VALUE_ID = -7_340_021_978


class _CompiledQuery:
    """A queryset's SQL and parameters, and what reading its rows needs: the names a
    `.values()` row has and the ORM's converters for each column."""

    __slots__ = (
        "sql",
        "params",
        "names",
        "converters",
        "model",
        "attnames",
        "columns",
        "related",
        "fields",
    )

    def __init__(self, queryset: QuerySet[Any]) -> None:
        query = queryset.query
        compiler = query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        self.sql, self.params = sql, tuple(params)
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        columns = [expression for expression, _sql, _alias in compiler.select]
        self.converters = compiler.get_converters(columns)
        self.model = queryset.model
        # Each column's model field (None for an expression): its database type, for reading
        # the rows back from PostgreSQL's text of a record (`compiled_instances_together`).
        self.fields = [getattr(column, "target", None) for column in columns]
        # For a queryset of plain model rows (compiled_instances_for_user): each column's field.
        self.attnames = (
            []
            if self.names or query.select_related
            else [getattr(getattr(column, "target", None), "attname", None) for column in columns]
        )
        # For a lookup with select_related (compiled_lookup): the model's own columns, and
        # Django's own populators for the joined rows (ModelIterable's way of reading them).
        self.columns = slice(0, len(columns))
        self.related: list[Any] = []
        if query.select_related and not self.names:
            own = compiler.klass_info["select_fields"]
            self.columns = slice(own[0], own[-1] + 1)
            self.attnames = [
                getattr(getattr(column, "target", None), "attname", None)
                for column in columns[self.columns]
            ]
            # django-stubs describe Django 6's signature (a fetch mode); 5.2 takes these three.
            self.related = get_related_populators(  # type: ignore[call-arg]
                compiler.klass_info, compiler.select, queryset.db
            )

    def bound(self, user: AbstractBaseUser, value: Any = None) -> list[Any]:
        return [
            user.pk
            if param == PLACEHOLDER_USER_ID
            else value
            if param == PLACEHOLDER_VALUE_ID
            else param
            for param in self.params
        ]


_compiled: dict[tuple[Hashable, ...], _CompiledQuery] = {}
# A bounded dict (yesterday's entries, tests' own builders): room for every sort of the list
# in every role, the dashboard's and the contact sheet's reads.
KEPT = 256


def _db() -> BaseDatabaseWrapper:
    """This thread's connection to the default database, looked up once by each function here:
    each attribute read through `django.db.connection`, a proxy, is a context-local lookup of
    about a microsecond, and a contact sheet made some thirty."""
    return connections[DEFAULT_DB_ALIAS]


def _database_and_day() -> tuple[str, date]:
    """What, besides the caller's key and the role, a compiled query is kept by. A page with
    several reads asks once (each ask costs more than finding the SQL it keys)."""
    return _db().vendor, timezone.localdate()


def _compiled_query(
    key: tuple[Hashable, ...],
    user: AbstractBaseUser,
    build: Callable[[Any], QuerySet[Any]],
    database_and_day: tuple[str, date] | None = None,
) -> _CompiledQuery:
    role: Any = getattr(user, "role", None)
    full_key = (*key, *(database_and_day or _database_and_day()), role)
    compiled = _compiled.get(full_key)
    if compiled is None:
        placeholder = get_user_model()(pk=PLACEHOLDER_USER_ID, role=role)
        compiled = remember(_compiled, full_key, _CompiledQuery(build(placeholder)), limit=KEPT)
    return compiled


def compiled_for_user(
    *,
    key: tuple[Hashable, ...],
    user: AbstractBaseUser,
    build: Callable[[Any], QuerySet[Any]],
) -> tuple[str, list[Any]]:
    """`build(user)`'s SQL and parameters, compiled once per process, database, day, role and
    `key` (which must name everything else the builder depends on)."""
    compiled = _compiled_query(key, user, build)
    return compiled.sql, compiled.bound(user)


def _converted(
    row: Sequence[Any], converters: dict[int, Any], db: BaseDatabaseWrapper | None = None
) -> list[Any]:
    if db is None:
        db = _db()
    values = list(row)
    for position, (functions, expression) in converters.items():
        for function in functions:
            values[position] = function(values[position], expression, db)
    return values


@dataclass(frozen=True)
class CompiledRead:
    """One compiled statement with its bound parameters, and what makes its rows into the
    caller's result: for `compiled_reads_together`, which sends several in one round trip."""

    sql: str
    params: list[Any]
    finish: Callable[[list[Any]], Any]


def compiled_rows_read(
    *,
    key: tuple[Hashable, ...],
    user: AbstractBaseUser,
    build: Callable[[Any], QuerySet[Any]],
    offset: int = 0,
    limit: int | None = None,
) -> CompiledRead:
    """`compiled_rows_for_user`'s statement, not yet run."""
    compiled = _compiled_query(key, user, build)
    sql, params = compiled.sql, compiled.bound(user)
    if limit is not None:
        # What Django itself appends to a sliced query, on SQLite and PostgreSQL alike.
        sql, params = f"{sql} LIMIT %s OFFSET %s", [*params, limit, offset]
    names, converters = compiled.names, compiled.converters

    def finish(rows: list[Any]) -> list[dict[str, Any]]:
        if converters:
            db = _db()
            rows = [_converted(row, converters, db) for row in rows]
        return [dict(zip(names, row, strict=True)) for row in rows]

    return CompiledRead(sql, params, finish)


def compiled_rows_for_user(
    *,
    key: tuple[Hashable, ...],
    user: AbstractBaseUser,
    build: Callable[[Any], QuerySet[Any]],
    offset: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The rows of `build(user)`, a `.values()` queryset, as `.values()` gives them, compiled as
    `compiled_for_user` is. `offset`/`limit` are bound parameters, not part of the compiled
    SQL (one compilation serves every page): `build` must not slice, and must order."""
    (rows,) = compiled_reads_together(
        [compiled_rows_read(key=key, user=user, build=build, offset=offset, limit=limit)]
    )
    return cast(list[dict[str, Any]], rows)


def _instances_query(
    key: tuple[Hashable, ...],
    user: AbstractBaseUser,
    build: Callable[[Any, int], QuerySet[Any]],
    value: int,
    database_and_day: tuple[str, date] | None = None,
) -> tuple[_CompiledQuery, list[Any]]:
    compiled = _compiled_query(
        key,
        user,
        lambda placeholder: build(placeholder, PLACEHOLDER_VALUE_ID),
        database_and_day,
    )
    if PLACEHOLDER_VALUE_ID not in compiled.params:
        raise ValueError("the queryset must filter on its value placeholder")
    if not compiled.attnames or None in compiled.attnames or compiled.related:
        raise ValueError("compiled_instances_for_user reads plain model rows only")
    return compiled, compiled.bound(user, value)


def _instances(compiled: _CompiledQuery, rows: Sequence[Sequence[Any]]) -> list[Any]:
    db = _db()
    model, converters, alias, attnames = (
        compiled.model,
        compiled.converters,
        db.alias,
        compiled.attnames,
    )
    return [
        model.from_db(alias, attnames, _converted(row, converters, db) if converters else row)
        for row in rows
    ]


def compiled_instances_for_user(
    *,
    key: tuple[Hashable, ...],
    user: AbstractBaseUser,
    build: Callable[[Any, int], QuerySet[Any]],
    value: int,
) -> list[Any]:
    """The model instances `build(user, value)` selects, compiled once per process, database,
    day, role and `key` as `compiled_for_user` is, `value` (an id: a person's, say) bound where
    PLACEHOLDER_VALUE_ID was. For a page's reads of one row's related rows (a contact sheet's
    addresses, phones, consents): plain model rows only, no select_related, annotation,
    `.values()` or deferred field."""
    compiled, params = _instances_query(key, user, build, value)
    (instances,) = compiled_reads_together(
        [CompiledRead(compiled.sql, params, partial(_instances, compiled))]
    )
    return cast(list[Any], instances)


# An INSERT's SQL by (model, database): its fields in the order of its placeholders, and the
# columns it reads back.
_inserts: dict[tuple[type[Model], str, str], tuple[str, list[Any], list[Any]]] = {}


def _insert_compiled(instance: Model, db: BaseDatabaseWrapper) -> tuple[str, list[Any], list[Any]]:
    """The INSERT of `instance`'s model, compiled by Django once per process, model and
    database: its SQL, its fields in the order of its placeholders, the columns it reads back."""
    model = type(instance)
    meta = model._meta
    if meta.parents or meta.order_with_respect_to:
        raise ValueError("compiled_insert writes a plain model's row")
    key = (model, db.vendor, db.alias)
    found = _inserts.get(key)
    if found is None:
        pk_set = instance.pk is not None
        fields = [
            field
            for field in meta.local_concrete_fields
            if not field.generated and (pk_set or field is not meta.auto_field)
        ]
        returning = list(meta.db_returning_fields)
        query = InsertQuery(model)
        query.insert_values(fields, [instance])
        compiler = query.get_compiler(connection=db)
        compiler.returning_fields = returning
        ((sql, _params),) = compiler.as_sql()
        found = _inserts[key] = (sql, fields, returning)
    if (instance.pk is not None) != (meta.auto_field in found[1]):
        raise ValueError("compiled_insert: an id given to some rows of a model and not others")
    return found


def _insert_params(instance: Model, fields: list[Any], db: BaseDatabaseWrapper) -> list[Any]:
    """What `save()` does before its INSERT: the `pre_save` signal, then each field's
    `pre_save` (an `auto_now_add` date) and `get_db_prep_save`."""
    pre_save.send(
        sender=type(instance), instance=instance, raw=False, using=db.alias, update_fields=None
    )
    return [
        field.get_db_prep_save(field.pre_save(instance, True), connection=db) for field in fields
    ]


def _inserted(
    instance: Model, values: Sequence[Any], returning: list[Any], db: BaseDatabaseWrapper
) -> None:
    """What `save()` does after its INSERT: the columns read back set on the instance, its
    state, the `post_save` signal."""
    for value, field in zip(values, returning, strict=False):
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = db.alias
    post_save.send(
        sender=type(instance),
        instance=instance,
        created=True,
        update_fields=None,
        raw=False,
        using=db.alias,
    )


def compiled_insert(instance: Model) -> None:
    """`instance.save(force_insert=True)` for a new row of a plain model (no parent model, no
    `order_with_respect_to`), with the INSERT's SQL compiled by Django once per process, model
    and database rather than on each call: a contact sheet's audit line spent more of the
    page's CPU in the ORM's save machinery than in SQLite (#17).

    What `save()` does is kept: each field's `pre_save` (an `auto_now_add` date) and
    `get_db_prep_save`, the columns the database gives back (the id, read with the statement's
    RETURNING where the database has it), the instance's state, and the `pre_save` and
    `post_save` signals."""
    db = _db()
    sql, fields, returning = _insert_compiled(instance, db)
    params = _insert_params(instance, fields, db)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        if not returning:
            values: Sequence[Any] = ()
        elif db.features.can_return_columns_from_insert:
            # The statement's RETURNING row: what Django's operations read on both databases.
            values = cursor.fetchone()
        else:  # SQLite before 3.35: the id only, as Django reads it there
            values = (cursor.lastrowid,)
    _inserted(instance, values, returning, db)


@contextmanager
def one_round_trip() -> Iterator[None]:
    """On PostgreSQL, the statements executed inside are sent together (psycopg's pipeline
    mode) and their results read at the first fetch, or at the exit: one round trip instead of
    one a statement. Seven small reads took 0.67 ms one by one and 0.19 ms together, and the
    server spent a third of the CPU on them (its work per statement is mostly the round
    trip's). Up to the first fetch the statements form one implicit transaction: a failing one
    cancels the rest. SQLite runs in the process, with no round trip to save: a no-op there."""
    db = _db()
    if db.vendor != "postgresql":
        yield
        return
    db.ensure_connection()
    with db.connection.pipeline():
        yield


# Sent first in a round trip whose insert need not wait for the disk: `true` makes the setting
# local to the round trip's implicit transaction, so it ends with it.
_NO_FLUSH_WAIT = "SELECT set_config('synchronous_commit', 'off', true)"


def compiled_reads_together(
    reads: Sequence[CompiledRead],
    *,
    inserting: Model | None = None,
    wait_for_disk: bool = True,
) -> list[Any]:
    """Each read's result, in order, the reads sent in one round trip on PostgreSQL
    (`one_round_trip`). `inserting`, an unsaved row that goes with them (the audit log's line
    for what is read), is inserted last in the same round trip: its INSERT reads back its id,
    and that read sends the reads with it.

    Only an insert, not any write: in pipeline mode a statement's row count is known once its
    result is read, and Django reads an UPDATE's count without a fetch (a `save()` of an
    existing row would see 0 rows updated and insert a second one).

    `wait_for_disk=False`: on PostgreSQL the round trip's commit returns before its WAL reaches
    the disk (`synchronous_commit` off for that transaction only). The row is committed and
    seen by every other session at once; only a crash of the database server itself, in the
    fraction of a second before the WAL writer flushes (3 × `wal_writer_delay`, 600 ms by
    default), can lose it. That is the durability SQLite gives every write here (WAL with
    `synchronous=NORMAL`, config/env.py). For a contact sheet's audit line, whose flush cost
    a volunteer's sheet more than its eight reads under load; writes of data keep waiting."""
    db = _db()
    if db.vendor != "postgresql" or len(reads) + (inserting is not None) < 2:
        # One by one, each read run to its end before the next statement: on SQLite a read
        # not read to its end keeps its snapshot open, and an insert that then upgrades it to
        # a write fails at once ("database is locked") if another process wrote meanwhile.
        found = []
        for read in reads:
            with db.cursor() as cursor:
                cursor.execute(read.sql, read.params)
                found.append(read.finish(cursor.fetchall()))
        if inserting is not None:
            compiled_insert(inserting)
        return found
    cursors = [db.cursor() for _read in reads]
    # Its result is read, and dropped, with the round trip's.
    setting = db.cursor() if inserting is not None and not wait_for_disk else None
    try:
        with one_round_trip():
            if setting is not None:
                setting.execute(_NO_FLUSH_WAIT)
            for cursor, read in zip(cursors, reads, strict=True):
                cursor.execute(read.sql, read.params)
            if inserting is not None:
                compiled_insert(inserting)
        return [read.finish(cursor.fetchall()) for cursor, read in zip(cursors, reads, strict=True)]
    finally:
        for cursor in cursors:
            cursor.close()
        if setting is not None:
            setting.close()


def compiled_instances_together(
    *,
    reads: Mapping[str, tuple[tuple[Hashable, ...], Callable[[Any, int], QuerySet[Any]]]],
    user: AbstractBaseUser,
    value: int,
    inserting: Model | None = None,
    wait_for_disk: bool = True,
    one_statement: bool = True,
) -> dict[str, list[Any]]:
    """Several `compiled_instances_for_user` reads of one value ({name: (key, build)}), with
    `inserting`, in one round trip on PostgreSQL (`compiled_reads_together`, which says what
    `wait_for_disk` means). There the reads go as one statement (`_instances_in_one_statement`)
    unless `one_statement` is False or a column's type is not a plain one."""
    found = _instances_together(
        _compiled_reads(reads, user, value, _database_and_day()),
        inserting=inserting,
        wait_for_disk=wait_for_disk,
        one_statement=one_statement,
    )
    return dict(zip(reads, found, strict=True))


def _compiled_reads(
    reads: Mapping[str, tuple[tuple[Hashable, ...], Callable[[Any, int], QuerySet[Any]]]],
    user: AbstractBaseUser,
    value: int,
    database_and_day: tuple[str, date],
) -> list[tuple[_CompiledQuery, list[Any]]]:
    return [
        _instances_query(key, user, build, value, database_and_day) for key, build in reads.values()
    ]


def _instances_together(
    compiled_reads: list[tuple[_CompiledQuery, list[Any]]],
    *,
    inserting: Model | None,
    wait_for_disk: bool,
    one_statement: bool,
) -> list[list[Any]]:
    """`compiled_instances_together`'s work once its reads are compiled: each read's instances,
    in order."""
    db = _db()
    if one_statement and db.vendor == "postgresql" and len(compiled_reads) > 1:
        db.ensure_connection()
        loaders = [_record_loaders(compiled, db) for compiled, _params in compiled_reads]
        if all(read_loaders is not None for read_loaders in loaders):
            return _instances_in_one_statement(
                compiled_reads,
                cast(list[list[Callable[[bytes], Any]]], loaders),
                inserting=inserting,
                wait_for_disk=wait_for_disk,
            )
    statements = [
        CompiledRead(compiled.sql, params, partial(_instances, compiled))
        for compiled, params in compiled_reads
    ]
    return cast(
        list[list[Any]],
        compiled_reads_together(statements, inserting=inserting, wait_for_disk=wait_for_disk),
    )


# Text loaders by (read, psycopg connection): (that read, that connection, [loader.load, …]);
# None where a read's column types are not all known.
_loaders: dict[tuple[int, int], tuple[Any, Any, list[Callable[[bytes], Any]] | None]] = {}


def _record_loaders(
    compiled: _CompiledQuery, db: BaseDatabaseWrapper
) -> list[Callable[[bytes], Any]] | None:
    """For each column of `compiled`, what psycopg does with that column's text on this
    connection (the loader of the field's database type, as a plain read's cursor would pick
    it: the same adapters, Django's time zone and JSON loaders included); None when a column
    is not a model field of a type psycopg knows by name. Looked up once per read and
    connection."""
    key = (id(compiled), id(db.connection))
    kept = _loaders.get(key)
    if kept is not None and kept[0] is compiled and kept[1] is db.connection:
        return kept[2]
    loads: list[Callable[[bytes], Any]] | None = []
    adapters = db.connection.adapters
    for field in compiled.fields:
        db_type: str = (field.db_type(db) if field is not None else None) or ""
        base = re.sub(r"\(.*?\)", "", db_type.removesuffix("[]")).strip()  # varchar(254) …
        info = adapters.types.get(base) if base else None
        oid = (info.array_oid if db_type.endswith("[]") else info.oid) if info else None
        loader = adapters.get_loader(oid, Format.TEXT) if oid else None
        if loader is None or loads is None:
            loads = None
            break
        loads.append(loader(oid, db.connection).load)
    remember(_loaders, key, (compiled, db.connection, loads), limit=KEPT)
    return loads


def _instances_in_one_statement(
    compiled_reads: list[tuple[_CompiledQuery, list[Any]]],
    loaders: list[list[Callable[[bytes], Any]]],
    *,
    inserting: Model | None,
    wait_for_disk: bool,
) -> list[list[Any]]:
    """The reads' instances from one statement on PostgreSQL: each read's rows as an array of
    records (`ARRAY(SELECT t FROM (read) t)`, in the read's order), each record's fields as
    PostgreSQL prints them, made into values by the loaders a plain read would use, then into
    instances as `_instances` does. A contact sheet's seven reads took 0.40 ms of the process's
    CPU and 0.21 ms of the server's as seven statements in one pipeline, 0.32 and 0.17 ms as one
    (1 M people, PostgreSQL 15); the same rows, to the last field's type (a test compares).
    `ARRAY(subquery)` keeps the subquery's order, as the reads give it."""
    arrays, params = _arrays_of(compiled_reads)
    sql = f"SELECT {', '.join(arrays)}"  # noqa: S608 - Django's compiled SQL, its values bound
    (records,) = compiled_reads_together(
        [CompiledRead(sql, params, lambda rows: rows[0])],
        inserting=inserting,
        wait_for_disk=wait_for_disk,
    )
    return _instances_from_records(compiled_reads, records, loaders)


def _arrays_of(
    compiled_reads: list[tuple[_CompiledQuery, list[Any]]],
) -> tuple[list[str], list[Any]]:
    """Each read as a column of one statement, its rows an array of records in the read's
    order, and the reads' parameters in the order of those columns."""
    arrays = [
        f"ARRAY(SELECT t FROM ({compiled.sql}) t)"  # noqa: S608 - Django's compiled SQL
        for compiled, _params in compiled_reads
    ]
    return arrays, [param for _compiled, read_params in compiled_reads for param in read_params]


def _instances_from_records(
    compiled_reads: list[tuple[_CompiledQuery, list[Any]]],
    arrays: Sequence[Sequence[Sequence[str | None]]],
    loaders: list[list[Callable[[bytes], Any]]],
) -> list[list[Any]]:
    """Each read's array of records (each record's fields as PostgreSQL prints them) made into
    values by the read's loaders, then into instances as `_instances` does."""
    found = []
    for (compiled, _params), records, loads in zip(compiled_reads, arrays, loaders, strict=True):
        rows = [
            [
                None if text is None else load(text.encode())
                for text, load in zip(record, loads, strict=True)
            ]
            for record in records
        ]
        found.append(_instances(compiled, rows))
    return found


# The INSERT … SELECT … FROM gate of a model, by (model, database): its SQL, the fields of its
# placeholders and the columns it reads back (`compiled_instances_behind`).
_gated_inserts: dict[tuple[type[Model], str, str], tuple[str, list[Any], list[Any]]] = {}


def _gated_insert(instance: Model, db: BaseDatabaseWrapper) -> tuple[str, list[Any], list[Any]]:
    """`instance`'s INSERT as a data-modifying part of a statement whose first part, `gate`,
    selects at most one row: one row is inserted if the gate found one, none otherwise. Each
    value is cast to its column's type (in `INSERT … SELECT` PostgreSQL reads an untyped
    parameter as text, which it will not assign to an inet or a timestamp)."""
    _sql, fields, returning = _insert_compiled(instance, db)
    key = (type(instance), db.vendor, db.alias)
    found = _gated_inserts.get(key)
    if found is None:
        quote = db.ops.quote_name
        casts = []
        for field in fields:
            db_type = field.db_type(db)
            if not db_type:
                raise ValueError(f"compiled_instances_behind: {field.name} has no column type")
            casts.append(f"CAST(%s AS {db_type})")
        sql = (
            f"INSERT INTO {quote(type(instance)._meta.db_table)} "  # noqa: S608 - names quoted
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"SELECT {', '.join(casts)} FROM gate LIMIT 1"
            + (
                f" RETURNING {', '.join(quote(field.column) for field in returning)}"
                if returning
                else ""
            )
        )
        found = remember(_gated_inserts, key, (sql, fields, returning), limit=KEPT)
    return found


def compiled_instances_behind(
    *,
    gate: tuple[tuple[Hashable, ...], Callable[[Any, int], QuerySet[Any]]],
    reads: Mapping[str, tuple[tuple[Hashable, ...], Callable[[Any, int], QuerySet[Any]]]],
    user: AbstractBaseUser,
    value: int,
    inserting: Model | None = None,
    wait_for_disk: bool = True,
) -> tuple[Any, dict[str, list[Any]]] | None:
    """The instance `gate` selects (`(key, build)` as for `compiled_instances_for_user`: one row
    at most, say a person by id within the user's scope) and, only if it finds one, the
    `reads` of the same value with `inserting` inserted, as `compiled_instances_together` does
    (which says what `wait_for_disk` means). None when the gate finds no row: then nothing else
    is read and nothing is inserted (on PostgreSQL its `pre_save` signal has been sent, as by a
    save that fails; `post_save` is not).

    On PostgreSQL it is all one statement, in one round trip:
    `WITH gate AS MATERIALIZED (…), inserted AS (INSERT … SELECT … FROM gate LIMIT 1 RETURNING id)
    SELECT gate.*, (SELECT id FROM inserted), ARRAY(SELECT t FROM (read) t), … FROM gate`.
    With no row in the gate the statement returns no row, and its arrays are never computed.
    A contact sheet sent the person's read, then the reads with the audit line's INSERT (and the
    setting that spares it the wait for the disk) in a pipeline: two round trips and four
    statements, each with its cost to both processes. Elsewhere (SQLite; a read whose columns
    are not plain typed fields) the gate is read first, then the rest as
    `compiled_instances_together` does."""
    database_and_day = _database_and_day()
    gate_key, gate_build = gate
    gate_compiled, gate_params = _instances_query(
        gate_key, user, gate_build, value, database_and_day
    )
    compiled_reads = _compiled_reads(reads, user, value, database_and_day)
    db = _db()
    loaders: list[list[Callable[[bytes], Any]] | None] = []
    if db.vendor == "postgresql":
        db.ensure_connection()
        loaders = [_record_loaders(compiled, db) for compiled, _params in compiled_reads]
    if db.vendor != "postgresql" or not all(read_loaders is not None for read_loaders in loaders):
        (gated,) = compiled_reads_together(
            [CompiledRead(gate_compiled.sql, gate_params, partial(_instances, gate_compiled))]
        )
        if not gated:
            return None
        # The reads as compiled above, sent as compiled_instances_together would send them here
        # (on PostgreSQL a column's type is not a plain one: a pipeline).
        found = _instances_together(
            compiled_reads, inserting=inserting, wait_for_disk=wait_for_disk, one_statement=False
        )
        return gated[0], dict(zip(reads, found, strict=True))
    params = list(gate_params)
    sql = f"WITH gate AS MATERIALIZED ({gate_compiled.sql})"
    columns = ["gate.*"]
    returning: list[Any] = []
    if inserting is not None:
        insert_sql, fields, returning = _gated_insert(inserting, db)
        sql += f", inserted AS ({insert_sql})"
        params += _insert_params(inserting, fields, db)
        quote = db.ops.quote_name
        columns += [
            f"(SELECT {quote(field.column)} FROM inserted)"  # noqa: S608 - a quoted column name
            for field in returning
        ]
        if not wait_for_disk:
            # Local to the statement's transaction, so it is in force when that commits.
            columns.append("set_config('synchronous_commit', 'off', true)")
    arrays, read_params = _arrays_of(compiled_reads)
    columns += arrays
    params += read_params
    sql += f" SELECT {', '.join(columns)} FROM gate"  # noqa: S608 - the same, values bound
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    if len(rows) > 1:
        raise ValueError("compiled_instances_behind: the gate selects one row at most")
    (row,) = rows
    width = len(gate_compiled.fields)
    (gated_instance,) = _instances(gate_compiled, [row[:width]])
    if inserting is not None:
        _inserted(inserting, row[width : width + len(returning)], returning, db)
    records = row[len(row) - len(compiled_reads) :] if compiled_reads else []
    instances = _instances_from_records(
        compiled_reads, records, cast(list[list[Callable[[bytes], Any]]], loaders)
    )
    return gated_instance, dict(zip(reads, instances, strict=True))


def compiled_count_read(
    *,
    key: tuple[Hashable, ...],
    user: AbstractBaseUser,
    build: Callable[[Any], QuerySet[Any]],
    cap: int | None,
) -> CompiledRead:
    """`compiled_count_for_user`'s statement, not yet run."""
    compiled = _compiled_query(
        key, user, lambda placeholder: build(placeholder).order_by().values("pk")
    )
    # The inner query's own SQL, wrapped: `queryset[:n].count()`'s form on both databases.
    params = compiled.bound(user)
    if cap is None:
        sql = f"SELECT COUNT(*) FROM ({compiled.sql}) counted"  # noqa: S608 (Django's SQL)
    else:
        sql = f"SELECT COUNT(*) FROM ({compiled.sql} LIMIT %s) counted"  # noqa: S608
        params.append(cap + 1)
    return CompiledRead(sql, params, lambda rows: int(rows[0][0]))


def compiled_count_for_user(
    *,
    key: tuple[Hashable, ...],
    user: AbstractBaseUser,
    build: Callable[[Any], QuerySet[Any]],
    cap: int | None,
) -> int:
    """How many rows `build(user)` has, counting at most `cap + 1` (what
    `queryset[:cap + 1].count()` answers; every row when `cap` is None), compiled as
    `compiled_for_user` is."""
    (count,) = compiled_reads_together(
        [compiled_count_read(key=key, user=user, build=build, cap=cap)]
    )
    return int(count)


_lookups: dict[tuple[Hashable, ...], _CompiledQuery] = {}


def compiled_lookup(
    *,
    key: tuple[Hashable, ...],
    build: Callable[[Any], QuerySet[Any]],
    placeholder: Hashable,
    value: Any,
) -> Any | None:
    """The one instance `build(value)` selects, or None.

    For the lookups every authenticated request makes (its session and its user, joined):
    building and compiling `Model.objects.filter(pk=…)` costs the ORM half a millisecond a
    request, ten times what the database takes to answer. `build(placeholder)` is compiled once
    per process and database (`placeholder`: a value of the looked-up field's type that no row
    has); each call binds `value` where the placeholder was, runs the SQL through Django's
    cursor (query logging and counting included) and makes the instance with `Model.from_db`,
    after the ORM's converters. `build` must select model rows (no annotation or deferred
    field), filtered on the placeholder; rows it joins with `select_related` are made and
    cached on the instance as the ORM does (None for a LEFT JOIN that found nothing).
    """
    db = _db()
    full_key = (*key, db.vendor, db.alias)
    lookup = _lookups.get(full_key)
    if lookup is None:
        lookup = _CompiledQuery(build(placeholder))
        if lookup.params.count(placeholder) != 1:
            raise ValueError("the lookup's queryset must filter once on its placeholder")
        if not lookup.attnames or None in lookup.attnames:
            raise ValueError("compiled_lookup reads plain model rows only")
        remember(_lookups, full_key, lookup, limit=KEPT)
    params = [value if param == placeholder else param for param in lookup.params]
    with db.cursor() as cursor:
        cursor.execute(lookup.sql, params)
        rows = cursor.fetchmany(2)
    if len(rows) != 1:
        return None
    row = _converted(rows[0], lookup.converters, db)
    instance = lookup.model.from_db(db.alias, lookup.attnames, row[lookup.columns])
    for populator in lookup.related:
        populator.populate(row, instance)
    return instance
