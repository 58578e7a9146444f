# ruff: noqa: S608 - SQL is built from the models' table and column names, module constants and ints; values are parameters
"""Direct load: where the database streams COPY, a file without contact columns sends the rows of
communes that have no voter yet (nothing can match them) straight into the people table, in one
COPY stream inside the import's transaction; only the rows of known communes are staged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from maillage.people.imports.rows import PERSON_COLUMNS, STAGING_COLUMNS, STAGING_NAMES
from maillage.people.imports.writer.base import PERSON, WriterBase
from maillage.people.imports.writer.staging import ROLL_COMMUNE, roll_identities

_PERSON_END = STAGING_NAMES.index("ident")  # staging tuples: line_no, person columns, the rest
# The columns a new person gets besides the file's, in this order (staging insert and COPY).
NEW_PERSON_COLUMNS = (
    "is_voter",
    "is_contact",
    "is_sympathiser",
    "is_member",
    "is_activist",
    "is_volunteer",
    "sources",
    "notes",
    "last_interaction_channel",
    "created_at",
    "updated_at",
)
# The columns of a new person, in the order of the COPY text and of the staging insert.
DIRECT_COLUMNS = tuple(PERSON.column(name) for name in ("id", *PERSON_COLUMNS, *NEW_PERSON_COLUMNS))

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"
# Positions, in a staging tuple, of the integer columns (the only ones that may be None).
_INT_POSITIONS = tuple(i for i, (_name, kind) in enumerate(STAGING_COLUMNS) if kind == "int")


def copy_line(values: tuple) -> str:
    """One row in PostgreSQL's COPY text format, whatever its cells hold: tab-separated, `\\N`
    for NULL, backslash, tab, newline and carriage return escaped."""
    return (
        "\t".join(
            _NULL if value is None else str(value).translate(_COPY_ESCAPES) for value in values
        )
        + "\n"
    )


@dataclass(frozen=True)
class DirectRoute:
    """Direct mode: which rows go straight to the people table (no voter of their commune is
    known, so nothing can match them) and their COPY text. Used by the writer and, for a file
    read in parallel, by the workers."""

    known_communes: frozenset[str]
    base: int  # a new person's id is base + line number
    tail: tuple[str, ...]  # the values of `NEW_PERSON_COLUMNS`

    def split(
        self, rows: list[tuple]
    ) -> tuple[bytes, list[tuple[int, str, str, int]], list[tuple], int]:
        """(COPY text of the direct rows, their roll identities as (line, commune, station,
        number), the rows that go to staging, the last direct line)."""
        known = self.known_communes
        if known and not known.isdisjoint(map(ROLL_COMMUNE, rows)):
            staged = [row for row in rows if ROLL_COMMUNE(row) in known]
            rows = [row for row in rows if ROLL_COMMUNE(row) not in known]
        else:
            staged = []
        return (
            self.copy_text(rows).encode(),
            roll_identities(rows),
            staged,
            rows[-1][0] if rows else 0,
        )

    def copy_text(self, rows: list[tuple]) -> str:
        """The COPY text of new people: id, person columns, then `tail`.

        The fast way fills one template per row (a million rows: seconds count) and then
        checks the whole batch at once: a cell holding a tab, newline, carriage return or
        backslash shows as one too many of them, and the batch is then written cell by cell
        with every escape (`copy_line`)."""
        end = _PERSON_END
        # "{0}" is the id, "{i + 1}" the row's cell i: the row is passed whole, unsliced.
        tail = [
            cell.translate(_COPY_ESCAPES).replace("{", "{{").replace("}", "}}")
            for cell in self.tail
        ]
        template = "\t".join(["{0}", *(f"{{{i + 1}}}" for i in range(1, end)), *tail]) + "\n"
        fill = template.format
        nullable = [position for position in _INT_POSITIONS if 0 < position < end]
        may_be_null = itemgetter(*nullable)
        base = self.base
        nulls = 0
        lines = []
        for row in rows:
            if None in may_be_null(row):
                cells = list(row)
                for position in nullable:
                    if cells[position] is None:
                        cells[position] = _NULL
                        nulls += 1
                lines.append(fill(base + row[0], *cells))
            else:
                lines.append(fill(base + row[0], *row))
        text = "".join(lines)
        tabs = len(rows) * (end + len(self.tail) - 1)
        expected_backslashes = nulls + sum(cell.count("\\") for cell in tail) * len(rows)
        if (
            text.count("\t") != tabs
            or text.count("\n") != len(rows)
            or "\r" in text
            or text.count("\\") != expected_backslashes
        ):
            text = "".join([copy_line((base + row[0], *row[1:end], *self.tail)) for row in rows])
        return text


class DirectLoad(WriterBase):
    """`start_direct` inside the import's transaction, before the first `add`; the COPY stays
    open across batches until a batch needs staging or `apply` begins."""

    def start_direct(self, *, now: datetime, last_line: int, expected_rows: int) -> None:
        """Learn which communes already have voters, take the block of ids for every line of
        the file (`last_line`: an upper bound of the line numbers), and drop the secondary
        indexes when the new people will be at least as many as the table holds (they are
        rebuilt by `apply`, sorted once).

        With no voter known, every row is new: the indexes go at once. With voters known, the
        file may be a re-import (no row new: rebuilding the indexes of a million people would
        cost seconds for nothing) or another territory's roll (every row new): the first rows
        that go direct decide, by their share of their batch (`_decide_bulk`)."""
        known = frozenset(self._communes_with_voters())
        self._reserve_ids(last_line)
        people = self._people_count()
        if self._big_load(expected_rows, people):
            if known:
                self._bulk_pending = (expected_rows, people)
            else:
                self.rebuild = self._drop_secondary_indexes()
        roll = "t" if self.is_roll else "f"
        contact = "f" if self.is_roll else "t"
        stamp = now.isoformat()
        # What every new person gets besides the file's columns (COPY takes no expressions).
        sources = json.dumps([self.source], ensure_ascii=False)
        tail = (roll, contact, "f", "f", "f", "f", sources, "", "", stamp, stamp)
        self.route = DirectRoute(known_communes=known, base=self.base, tail=tail)

    def _communes_with_voters(self) -> list[str]:
        """The distinct communes of known voters, by skipping through the roll identity index
        (one probe per commune, not a scan of every voter: fast at national scale)."""
        commune, number = PERSON.roll_commune_code, PERSON.roll_number
        rows = self._rows(
            f"""WITH RECURSIVE communes (code) AS (
                SELECT MIN({commune}) FROM {PERSON.table} WHERE {number} IS NOT NULL
                UNION ALL
                SELECT (SELECT MIN(p.{commune}) FROM {PERSON.table} AS p
                        WHERE p.{number} IS NOT NULL AND p.{commune} > communes.code)
                FROM communes WHERE communes.code IS NOT NULL
            ) SELECT code FROM communes WHERE code IS NOT NULL"""
        )
        return [code for (code,) in rows]

    def _copy_direct(self, text: bytes, rows: int, *, of: int) -> None:
        """New people, straight into the people table: one COPY stays open across batches, so
        the server stores a batch while Python reads the next one. `of`: the rows of their batch."""
        if not rows:
            return
        if self._bulk_pending is not None:
            self._decide_bulk(rows, of)
        if self._direct_copy is None:
            self._direct_copy = self._direct_stack.enter_context(
                self.sql.copy_stream(PERSON.table, DIRECT_COLUMNS)
            )
        self._direct_copy.write(text)
        self.copied += rows

    def _decide_bulk(self, direct_rows: int, batch_rows: int) -> None:
        """At the first direct rows, before their COPY opens: if the file's rows go direct in the
        same proportion as this batch's, are the new people enough to rebuild the indexes?"""
        assert self._bulk_pending is not None and self._direct_copy is None
        expected_rows, people = self._bulk_pending
        self._bulk_pending = None
        if self._big_load(expected_rows * direct_rows // max(batch_rows, 1), people):
            self.rebuild = self._drop_secondary_indexes()

    def _close_direct(self) -> None:
        """End the COPY (the rows are then in the table, inside the transaction)."""
        if self._direct_copy is not None:
            self._direct_copy = None
            self._direct_stack.close()

    def abort(self) -> None:
        """The import failed while a COPY was open: end it with an error, so the connection can
        roll the transaction back."""
        if self._direct_copy is not None:
            self._direct_copy = None
            self._direct_stack.__exit__(RuntimeError, RuntimeError("import aborted"), None)
