"""The database dialect: each fragment means the same on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from maillage.core.dialect import dialect

pytestmark = pytest.mark.django_db


def _merge(old: dict[str, Any], patch: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    sql = dialect()
    merged, unchanged = sql.json_merge("a.doc", "a.patch")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {merged}, CASE WHEN {unchanged} THEN 1 ELSE 0 END FROM (SELECT {sql.json('%s')} AS doc, %s AS patch) AS a",  # noqa: S608 - fixed fragments
            [json.dumps(old), json.dumps(patch)],
        )
        value, same = cursor.fetchone()
    return (json.loads(value) if isinstance(value, str) else value), bool(same)


def test_a_json_merge_sets_the_patch_keys_and_keeps_the_others_as_they_are() -> None:
    old = {"a": "1", "b": "x", "n": 2, "f": 1.5, "o": {"k": ["v"]}, "t": True, "z": None}
    merged, unchanged = _merge(old, {"b": "y", "c": 'é "q" \\'})
    assert merged == {**old, "b": "y", "c": 'é "q" \\'}
    assert not unchanged


@pytest.mark.parametrize(
    ("patch", "unchanged"),
    [
        ({}, True),
        ({"a": "1"}, True),
        ({"a": "1", "n": 2}, True),
        ({"n": "2"}, False),
        ({"new": ""}, False),
    ],
)
def test_a_json_merge_knows_when_the_patch_changes_nothing(
    patch: dict[str, Any], unchanged: bool
) -> None:
    assert _merge({"a": "1", "n": 2}, patch) == ({"a": "1", "n": 2, **patch}, unchanged)


def test_a_json_merge_of_wide_objects_keeps_every_key() -> None:
    old = {f"k{n}": f"a{n}" for n in range(20_000)}
    patch = {f"k{n}": f"b{n}" for n in range(10_000, 30_000)}
    assert _merge(old, patch) == ({**old, **patch}, False)


def test_same_holds_for_two_nulls_and_not_for_null_and_a_value() -> None:
    same = dialect().same
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN {same('NULL', 'NULL')} THEN 1 ELSE 0 END, CASE WHEN {same('NULL', '1')} THEN 1 ELSE 0 END"
        )
        assert cursor.fetchone() == (1, 0)


def test_bulk_insert_writes_every_row_and_json_array_add_appends_once() -> None:
    sql = dialect()
    sql.execute(f"CREATE TEMPORARY TABLE dialect_probe (id {sql.int_type}, label text, tags text)")
    try:
        sql.bulk_insert(
            "dialect_probe", ["id", "label", "tags"], [(1, "a\tb", '["x"]'), (2, None, "[]")]
        )
        assert sql.rows("SELECT id, label FROM dialect_probe ORDER BY id") == [
            (1, "a\tb"),
            (2, None),
        ]
        added, present = sql.json_array_add(sql.json("tags"))
        rows = sql.rows(
            f"SELECT {added}, CASE WHEN {present} THEN 1 ELSE 0 END FROM dialect_probe ORDER BY id",  # noqa: S608 - fixed fragments
            ["x", "x", "x"],
        )
        assert [(json.loads(v) if isinstance(v, str) else v, p) for v, p in rows] == [
            (["x"], 1),
            (["x"], 0),  # the array it would become; the test is on the stored one
        ]
    finally:
        sql.execute("DROP TABLE dialect_probe")


def test_update_rows_sets_each_row_from_its_values_chunk_by_chunk(monkeypatch: Any) -> None:
    sql = dialect()
    sql.execute(
        f"CREATE TEMPORARY TABLE dialect_update (id {sql.int_type}, x double precision, n smallint, label text)"
    )
    try:
        sql.bulk_insert(
            "dialect_update", ["id", "x", "n", "label"], [(i, None, None, "a") for i in range(1, 8)]
        )
        # A small parameter limit: on SQLite three rows per statement, so three statements.
        monkeypatch.setattr(sql.connection.features, "max_query_params", 12)
        updated = sql.update_rows(
            "dialect_update",
            "id",
            [("x", "double precision"), ("n", "smallint"), ("label", "text")],
            [(i, i / 2, None if i == 3 else i, f"l{i}") for i in (1, 2, 3, 5, 6, 7, 99)],
        )
        assert updated == 6
        assert sql.rows("SELECT id, x, n, label FROM dialect_update ORDER BY id") == [
            (1, 0.5, 1, "l1"),
            (2, 1.0, 2, "l2"),
            (3, 1.5, None, "l3"),
            (4, None, None, "a"),
            (5, 2.5, 5, "l5"),
            (6, 3.0, 6, "l6"),
            (7, 3.5, 7, "l7"),
        ]
    finally:
        sql.execute("DROP TABLE dialect_update")
