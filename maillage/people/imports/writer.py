# ruff: noqa: S608 - SQL is built only from module constants, column lists and ints; values are parameters
"""Writing an import in sets: rows go to a temporary staging table (COPY on PostgreSQL,
`executemany` on SQLite), then a fixed number of set-based statements match, insert and
update people, emails, phones, tags and consents. The number of queries does not depend on
the number of rows, and nothing here is Django's ORM on the hot path.

Matching, in order (the first that applies wins):
1. roll identity (commune + polling station + order number) with the same birth date → the
   same voter, updated when anything changed, else counted unchanged;
2. a roll row whose identity is unknown but whose name + birth date (`identity_key`) is a voter
   of the same commune that the new roll no longer lists at their old place → that voter moved;
3. exact email or E.164 phone of an existing person → merged into that person (for roll rows,
   only into someone who has no roll identity yet: relatives share a phone);
4. otherwise a new person. Within one file, a later non-roll row with the same email or phone
   as an earlier one is merged into it; a repeated roll identity is rejected.
After a roll import, voters of the file's communes that the file no longer lists are marked
`is_voter=False` and lose their order number (never deleted).

On PostgreSQL, a file without contact columns (email, phone, tags) goes *direct*: its rows whose
commune has no voter yet cannot match anybody, so they are copied straight into `people_person`
(one COPY stream, inside the import's transaction) and only the rows of communes already known
go through staging and matching. A first load of a department's roll never touches staging.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import DatabaseError, connection, transaction

from maillage.people.imports.rows import PERSON_COLUMNS, STAGING_COLUMNS, STAGING_NAMES
from maillage.people.normalise import fold

STAGING = "people_import_staging"
_LINE = itemgetter(STAGING_NAMES.index("line_no"))
_ROLL_COMMUNE = itemgetter(STAGING_NAMES.index("roll_commune_code"))
_ROLL_STATION = itemgetter(STAGING_NAMES.index("roll_station_code"))
_ROLL_NUMBER = itemgetter(STAGING_NAMES.index("roll_number"))
_PERSON_END = STAGING_NAMES.index("ident")  # staging tuples: line_no, person columns, the rest
# Optional columns, and how to read them from a staged row: the apply phase skips the
# statements (and staging indexes) of the columns no row fills.
_OPTIONAL = {
    name: itemgetter(STAGING_NAMES.index(name))
    for name in ("email", "mobile", "landline", "profession_slug", "tag_slug")
}
# The columns a new person gets besides the file's, in this order (staging insert and COPY).
_NEW_PERSON_COLUMNS = (
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
DIRECT_COLUMNS = ("id", *PERSON_COLUMNS, *_NEW_PERSON_COLUMNS)
BULK_ROWS = 50_000  # from this many new people (and at least the table's size), indexes are rebuilt
KEEP = "people_import_keep"
MOVED = "people_import_moved"


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    removed: int = 0
    duplicate_lines: dict[int, int] = field(
        default_factory=dict
    )  # line → first line with that roll identity
    new_ids: list[int] = field(default_factory=list)


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
    """Direct mode: which rows go straight to `people_person` (no voter of their commune is
    known, so nothing can match them) and their COPY text. Used by the writer and, for a file
    read in parallel, by the workers."""

    known_communes: frozenset[str]
    base: int  # a new person's id is base + line number
    tail: tuple[str, ...]  # the values of `_NEW_PERSON_COLUMNS`

    def split(
        self, rows: list[tuple]
    ) -> tuple[bytes, list[tuple[int, str, str, int]], list[tuple], int]:
        """(COPY text of the direct rows, their roll identities as (line, commune, station,
        number), the rows that go to staging, the last direct line)."""
        known = self.known_communes
        if known and not known.isdisjoint(map(_ROLL_COMMUNE, rows)):
            staged = [row for row in rows if _ROLL_COMMUNE(row) in known]
            rows = [row for row in rows if _ROLL_COMMUNE(row) not in known]
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


def roll_identities(rows: list[tuple]) -> list[tuple[int, str, str, int]]:
    """(line, commune, station, number) of the staged rows that have a roll identity."""
    return [
        (_LINE(row), _ROLL_COMMUNE(row), _ROLL_STATION(row), number)
        for row in rows
        if (number := _ROLL_NUMBER(row)) is not None
    ]


class RollIdentities:
    """The first line of each roll identity (commune, station, order number) met in the file, so
    a repeated identity is refused as its row arrives, without a query. Order numbers of one
    station run from 1 to a few thousand: each station keeps an array of first lines indexed
    by order number (4 bytes per voter); a number far beyond that goes to a dict."""

    DENSE_LIMIT = 1 << 20

    def __init__(self) -> None:
        self._stations: dict[tuple[str, str], array[int]] = {}
        self._sparse: dict[tuple[str, str, int], int] = {}

    def first_line(self, commune: str, station: str, number: int, line: int) -> int | None:
        """The earlier line with this identity, or None (and this line is remembered)."""
        if number >= self.DENSE_LIMIT:
            key = (commune, station, number)
            earlier = self._sparse.get(key)
            if earlier is None:
                self._sparse[key] = line
            return earlier
        lines = self._stations.get((commune, station))
        if lines is None:
            lines = self._stations[(commune, station)] = array("I")
        if number >= len(lines):  # zeros up to this number, and some room for the next ones
            lines.frombytes(bytes(lines.itemsize * (number + 1 - len(lines) + 1024)))
        earlier = lines[number]
        if earlier:
            return earlier
        lines[number] = line
        return None


class StagingWriter:
    """Owns the staging table for one import: `create`, then (direct mode: `start_direct` inside
    the import's transaction) `add` per batch, then `apply` once inside that transaction."""

    def __init__(self, *, source: str, is_roll: bool, direct: bool = False) -> None:
        """`direct`: the file has no contact columns and the database is PostgreSQL; rows of
        communes without voters go straight to `people_person` (see the module's docstring)."""
        self.source = source
        self.base = 0
        self.direct = direct and connection.vendor == "postgresql"
        self.identities = RollIdentities()
        self.duplicates: dict[int, int] = {}  # line → first line with that roll identity
        self.staged = 0  # rows written to staging (all rows, unless direct)
        self.copied = 0  # rows copied straight into people_person (direct mode)
        self.route: DirectRoute | None = None  # set by `start_direct`
        self.rebuild: list[str] = []  # secondary indexes dropped for a big load, to rebuild
        # Direct mode with voters already known: (rows of the file, people in the table) until
        # the first direct rows tell whether the load is new people or a re-import.
        self._bulk_pending: tuple[int, int] | None = None
        self.reserved = False  # the block of person ids is taken (direct mode takes it first)
        self._direct_copy: Any = None
        self._direct_stack = ExitStack()
        self.contact_columns: list[str] = []
        self.is_roll = is_roll
        self.pg = connection.vendor == "postgresql"
        self.rows = 0
        self.keep: list[tuple[str, str, int]] = []
        self.filled: set[str] = set()  # optional staging columns some row fills (see `apply`)
        self.moved = 0
        # What `add` learns from the rows on their way in, so `apply` need not scan staging:
        self.last_line = 0
        self.roll_communes: set[str] = set()
        self.unidentified = False  # some row has no roll identity

    # Helpers ---------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.rowcount

    def _scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            row = cursor.fetchone()
            return row[0] if row else None

    def _same(self, left: str, right: str) -> str:
        return f"{left} IS NOT DISTINCT FROM {right}" if self.pg else f"{left} IS {right}"

    # Loading ---------------------------------------------------------------------------------
    def create(self) -> None:
        int_type = "bigint" if self.pg else "integer"
        columns = ", ".join(
            f"{name} {int_type if kind == 'int' else 'text'}" for name, kind in STAGING_COLUMNS
        )
        # Session temp tables, not ON COMMIT DROP: rows are staged outside the final transaction
        # so the progress record can be committed while the file is read.
        temp = "TEMPORARY"
        on_commit = ""
        if self.pg:
            # Staging is read several times over: room for it in the session's local buffers
            # (8 MB by default) rather than going back to the kernel page by page. PostgreSQL
            # allows this only before the session's first temporary table; a later import in
            # the same connection keeps the size the first one set.
            try:
                with transaction.atomic():
                    self._execute("SET temp_buffers = '256MB'")
            except DatabaseError:
                pass
        self.drop()
        if not self.pg:
            # A bigger page cache for the time of the import: index maintenance of a million new
            # people otherwise thrashes SQLite's 2 MB default. Staging stays on disk (temp file):
            # in memory it would grow with the file.
            self._execute("PRAGMA cache_size = -65536")
        self._execute(
            f"CREATE {temp} TABLE {STAGING} ({columns}, person_id {int_type}, action text NOT NULL DEFAULT '', leader {int_type}){on_commit}"
        )
        self._execute(
            f"CREATE {temp} TABLE {KEEP} (commune text, station text, number {int_type}){on_commit}"
        )
        self._execute(f"CREATE {temp} TABLE {MOVED} (person_id {int_type}, ident text){on_commit}")

    def drop(self) -> None:
        self.abort()
        for table in (STAGING, KEEP, MOVED):
            self._execute(f"DROP TABLE IF EXISTS {table}")
        if not self.pg:
            self._execute("PRAGMA cache_size = -2000")

    def add(self, rows: list[tuple]) -> None:
        """Write a batch of staging tuples (in line order). A row whose roll identity an earlier
        line already has is refused (kept in `duplicates`, {line: earlier line})."""
        duplicates = self._refuse_repeated(roll_identities(rows))
        if duplicates:
            rows = [row for row in rows if _LINE(row) not in duplicates]
        if not rows:
            return
        self.rows += len(rows)
        self.last_line = max(self.last_line, _LINE(rows[-1]))
        if self.route is None:
            self._stage(rows)
            return
        text, _identities, staged, _last = self.route.split(rows)
        self._copy_direct(text, len(rows) - len(staged), of=len(rows))
        if staged:
            self._stage(staged)

    def add_routed(
        self,
        *,
        direct: bytes,
        direct_rows: int,
        identities: list[tuple[int, str, str, int]],
        last_line: int,
        staged: list[tuple],
    ) -> None:
        """A batch a worker already routed (`DirectRoute.split`): the COPY text of its direct
        rows with their roll identities, and its rows for staging. Repeated identities are
        refused here too, in line order (the two parts never share a commune)."""
        repeated = self._refuse_repeated(identities)
        if repeated:
            assert self.route is not None
            ids = {str(self.route.base + line).encode() for line in repeated}
            lines = direct.splitlines(keepends=True)
            direct = b"".join(line for line in lines if line.split(b"\t", 1)[0] not in ids)
            direct_rows -= len(repeated)
        self.rows += direct_rows
        self.last_line = max(self.last_line, last_line)
        if direct_rows:
            self._copy_direct(direct, direct_rows, of=direct_rows + len(staged))
        if staged:
            self.add(staged)

    def _refuse_repeated(self, identities: list[tuple[int, str, str, int]]) -> dict[int, int]:
        """{line: earlier line} of the identities an earlier line of the file already has."""
        first_line = self.identities.first_line
        repeated = {
            line: earlier
            for line, commune, station, number in identities
            if (earlier := first_line(commune, station, number, line)) is not None
        }
        self.duplicates.update(repeated)
        return repeated

    def _stage(self, rows: list[tuple]) -> None:
        self._close_direct()  # one COPY at a time on a connection
        self.staged += len(rows)
        self.roll_communes.update(map(_ROLL_COMMUNE, rows))
        self.unidentified = self.unidentified or None in map(_ROLL_NUMBER, rows)
        for column, value_of in _OPTIONAL.items():
            if column not in self.filled and any(map(value_of, rows)):
                self.filled.add(column)
        if self.pg:
            # COPY in text format, one tuple per row: psycopg's C implementation formats the rows
            # (three times faster than going through the csv module and one big string).
            # None → NULL, "" stays an empty string, as the columns expect.
            sql = f"COPY {STAGING} ({', '.join(STAGING_NAMES)}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        else:
            placeholders = ", ".join("?" for _ in STAGING_NAMES)
            # The raw sqlite3 cursor: Django's wrapper would rewrite placeholders row by row.
            with connection.cursor() as cursor:
                cursor.cursor.executemany(
                    f"INSERT INTO {STAGING} ({', '.join(STAGING_NAMES)}) VALUES ({placeholders})",
                    rows,
                )

    # Direct mode (PostgreSQL) ------------------------------------------------------------------
    def start_direct(self, *, now: datetime, last_line: int, expected_rows: int) -> None:
        """Inside the import's transaction, before the first `add`: learn which communes already
        have voters, take the block of ids for every line of the file (`last_line`: an upper
        bound of the line numbers), and drop the secondary indexes when the new people will be
        at least as many as the table holds (they are rebuilt by `apply`, sorted once).

        With no voter known, every row is new: the indexes go at once. With voters known, the
        file may be a re-import (no row new: rebuilding the indexes of a million people would
        cost seconds for nothing) or another territory's roll (every row new): the first rows
        that go direct decide, by their share of their batch (`_decide_bulk`)."""
        known = frozenset(self._communes_with_voters())
        self._reserve_ids(last_line)
        people = self._people_count()
        if expected_rows >= BULK_ROWS and expected_rows >= people:
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
        with connection.cursor() as cursor:
            cursor.execute(
                """WITH RECURSIVE communes (code) AS (
                    SELECT MIN(roll_commune_code) FROM people_person WHERE roll_number IS NOT NULL
                    UNION ALL
                    SELECT (SELECT MIN(p.roll_commune_code) FROM people_person AS p
                            WHERE p.roll_number IS NOT NULL AND p.roll_commune_code > communes.code)
                    FROM communes WHERE communes.code IS NOT NULL
                ) SELECT code FROM communes WHERE code IS NOT NULL"""
            )
            return [code for (code,) in cursor.fetchall()]

    def _copy_direct(self, text: bytes, rows: int, *, of: int) -> None:
        """New people, straight into `people_person`: one COPY stays open across batches, so the
        server stores a batch while Python reads the next one. `of`: the rows of their batch."""
        if not rows:
            return
        if self._bulk_pending is not None:
            self._decide_bulk(rows, of)
        if self._direct_copy is None:
            columns = ", ".join(DIRECT_COLUMNS)
            cursor = self._direct_stack.enter_context(connection.cursor())
            self._direct_copy = self._direct_stack.enter_context(
                cursor.cursor.copy(f"COPY people_person ({columns}) FROM STDIN")
            )
        self._direct_copy.write(text)
        self.copied += rows

    def _decide_bulk(self, direct_rows: int, batch_rows: int) -> None:
        """At the first direct rows, before their COPY opens: if the file's rows go direct in the
        same proportion as this batch's, are the new people enough to rebuild the indexes?"""
        assert self._bulk_pending is not None and self._direct_copy is None
        expected_rows, people = self._bulk_pending
        self._bulk_pending = None
        new_people = expected_rows * direct_rows // max(batch_rows, 1)
        if new_people >= BULK_ROWS and new_people >= people:
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

    def keep_identity(self, commune: str, station: str, number: int) -> None:
        """A rejected roll row still proves this voter is on the roll: don't mark them removed."""
        self.keep.append((commune, station, number))

    # Applying --------------------------------------------------------------------------------
    def apply(
        self,
        *,
        now: datetime,
        stations: dict[tuple[str, str], tuple[str, ...]] | None = None,
        collect_new_ids: bool = True,
    ) -> WriteResult:
        """`stations`: labels of the roll's polling stations, by (commune, station) code;
        `collect_new_ids`: return the ids of the people created (for the duplicate search)."""
        result = WriteResult(duplicate_lines=dict(self.duplicates))
        self._close_direct()
        if stations:
            self._record_stations(stations, now)
        if self.direct:
            result.created = self.copied
        if self.staged:
            self._apply_staging(result, now)
        elif not self.reserved:
            self.base = 0
        self._rebuild_indexes(created=result.created)
        if collect_new_ids and result.created:
            with connection.cursor() as cursor:
                if self.direct:  # every person of the reserved block is new
                    cursor.execute(
                        "SELECT id FROM people_person WHERE id > %s AND id <= %s ORDER BY id",
                        [self.base, self.base + self.last_line],
                    )
                else:
                    cursor.execute(
                        f"SELECT {self.base} + line_no FROM {STAGING} WHERE action = '' ORDER BY line_no"
                    )
                result.new_ids = [row[0] for row in cursor.fetchall()]
        return result

    def _apply_staging(self, result: WriteResult, now: datetime) -> None:
        """Match, update and insert the staged rows (all rows, unless direct)."""
        if self.keep:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {KEEP} (commune, station, number) VALUES (%s, %s, %s)", self.keep
                )
        # Only the indexes this file needs: a roll without emails or phones skips three of them.
        if not self.pg:
            # SQLite walks staging through it to match voters. PostgreSQL goes without (it sorts
            # staging against the people's roll identity index, a merge join): its matching UPDATE
            # writes a new version of every staged row, and each version would need its own entry
            # in this index (a re-import of a million voters: 10 s for that UPDATE with the
            # index, 5 s without, plus 1.6 s to build it).
            self._execute(
                f"CREATE INDEX {STAGING}_roll ON {STAGING} (roll_commune_code, roll_station_code, roll_number)"
            )
        filled = self.filled
        self.contact_columns = [c for c in ("email", "mobile", "landline") if c in filled]
        for column in self.contact_columns:
            self._execute(f"CREATE INDEX {STAGING}_{column} ON {STAGING} ({column})")
        if self.unidentified:
            self._execute(f"CREATE INDEX {STAGING}_line ON {STAGING} (line_no)")
        if self.pg:
            # Statistics only for the columns the matching joins and filters on (temp tables are
            # never analysed automatically; all 47 columns would cost seconds per million rows).
            self._execute(
                f"ANALYZE {STAGING} (roll_commune_code, roll_station_code, roll_number, line_no, email, mobile, landline, ident)"
            )
        # A first load of these communes (no voter of theirs known yet) has nothing to match,
        # move or mark absent: those statements, and the index they need, are skipped.
        voters_known = self._voters_known()
        matched = self._match_roll_identity() if voters_known else 0
        if voters_known or self.contact_columns:
            # Built after the big matching update, so that update does not maintain it row by row.
            self._execute(f"CREATE INDEX {STAGING}_person ON {STAGING} (person_id)")
        if self.is_roll and voters_known:
            matched += self._match_moved()
        self._match_contacts()
        self._lead_followers()
        if self.is_roll and voters_known:
            result.removed = self._remove_absent_voters(now)
        result.updated, result.unchanged = self._update_voters(now, matched)
        every_row_new = not matched and not self.contact_columns
        created = self._insert_new(now, every_row_new=every_row_new)
        result.created += created
        # Before the statements that join the new people (followers, merges, child rows).
        self._rebuild_indexes(created=result.created)
        self._point_followers()
        result.merged = self._merge_contacts(now)
        self._insert_children(now)

    def _voters_known(self) -> bool:
        """Does the database hold any voter of the communes this file lists?"""
        communes = sorted(self.roll_communes - {""})
        if not communes:
            return False
        known = False
        with connection.cursor() as cursor:
            for start in range(0, len(communes), 500):  # under every backend's parameter limit
                chunk = communes[start : start + 500]
                cursor.execute(
                    f"SELECT 1 FROM people_person WHERE roll_number IS NOT NULL AND roll_commune_code IN ({', '.join(['%s'] * len(chunk))}) LIMIT 1",
                    chunk,
                )
                known = known or cursor.fetchone() is not None
        return known

    def _record_stations(
        self, stations: dict[tuple[str, str], tuple[str, ...]], now: datetime
    ) -> None:
        """One row per polling station of the file (a few hundred for a department), labels
        updated when the file gives one; an empty label never erases a known one."""
        labels = ("commune_label", "station_label", "canton_label", "constituency_label")
        keep = ", ".join(
            f"{c} = CASE WHEN excluded.{c} <> '' THEN excluded.{c} ELSE people_rollstation.{c} END"
            for c in labels
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                f"""INSERT INTO people_rollstation (commune_code, station_code, {", ".join(labels)}, source, created_at, updated_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (commune_code, station_code) DO UPDATE SET {keep}, source = excluded.source, updated_at = excluded.updated_at""",
                [
                    (commune, station, *(label[:150] for label in values), self.source, now, now)
                    for (commune, station), values in sorted(stations.items())
                ],
            )

    def _match_roll_identity(self) -> int:
        return self._execute(
            f"""UPDATE {STAGING} AS s SET person_id = p.id, action = 'roll'
            FROM people_person AS p
            WHERE s.action = '' AND s.roll_number IS NOT NULL AND p.roll_number IS NOT NULL
              AND p.roll_number = s.roll_number AND p.roll_station_code = s.roll_station_code
              AND p.roll_commune_code = s.roll_commune_code
              AND {self._same("p.birth_year", "s.birth_year")} AND {self._same("p.birth_month", "s.birth_month")}
              AND {self._same("p.birth_day", "s.birth_day")}"""
        )

    def _match_moved(self) -> int:
        """Voters of these communes the file no longer lists at their old place, matched by name and
        birth date to the unmatched rows. Only these few people are read into Python."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT p.id, p.birth_name, p.first_names, p.birth_year, p.birth_month, p.birth_day FROM people_person AS p
                WHERE p.roll_number IS NOT NULL
                  AND p.roll_commune_code IN (SELECT DISTINCT roll_commune_code FROM {STAGING} WHERE roll_number IS NOT NULL)
                  AND NOT EXISTS (SELECT 1 FROM {STAGING} AS s WHERE s.person_id = p.id)"""
            )
            candidates: dict[str, int | None] = {}
            while chunk := cursor.fetchmany(5000):
                for person_id, birth_name, first_names, year, month, day in chunk:
                    first = fold(first_names).split(" ")[0] if first_names else ""
                    ident = f"{fold(birth_name)}|{first}|{year or 0:04d}-{month or 0:02d}-{day or 0:02d}"
                    # Two absent voters with the same name and birth date: too ambiguous to move either.
                    candidates[ident] = None if ident in candidates else person_id
            pairs = [
                (person_id, ident)
                for ident, person_id in candidates.items()
                if person_id is not None
            ]
            if not pairs:
                return 0
            cursor.executemany(f"INSERT INTO {MOVED} (person_id, ident) VALUES (%s, %s)", pairs)
        self._execute(f"CREATE INDEX {MOVED}_ident ON {MOVED} (ident)")
        self._execute(f"CREATE INDEX {STAGING}_ident ON {STAGING} (ident)")
        self.moved = self._execute(
            f"""UPDATE {STAGING} AS s SET person_id = m.person_id, action = 'moved'
            FROM {MOVED} AS m
            WHERE s.action = '' AND s.roll_number IS NOT NULL AND s.ident = m.ident
              AND NOT EXISTS (SELECT 1 FROM {STAGING} AS t WHERE t.ident = s.ident AND t.line_no <> s.line_no AND t.action IN ('', 'moved'))"""
        )
        return self.moved

    def _match_contacts(self) -> None:
        for column, table, key in (
            ("email", "people_emailaddress", "address"),
            ("mobile", "people_phonenumber", "number"),
            ("landline", "people_phonenumber", "number"),
        ):
            if column not in self.contact_columns:
                continue
            self._execute(
                f"""UPDATE {STAGING} AS s SET person_id = m.pid, action = 'merge'
                FROM (SELECT t.line_no AS line_no, MIN(c.person_id) AS pid
                      FROM {STAGING} AS t JOIN {table} AS c ON c.{key} = t.{column}
                      JOIN people_person AS p ON p.id = c.person_id
                      WHERE t.action = '' AND t.{column} <> '' AND (t.roll_number IS NULL OR p.roll_number IS NULL)
                      GROUP BY t.line_no) AS m
                WHERE s.line_no = m.line_no"""
            )

    def _lead_followers(self) -> None:
        """Later non-roll rows sharing an email or phone with an earlier unmatched one follow it."""
        if not self.contact_columns:
            return
        for column in self.contact_columns:
            self._execute(
                f"""UPDATE {STAGING} AS s SET action = 'follow', leader = d.first
                FROM (SELECT {column} AS v, MIN(line_no) AS first FROM {STAGING}
                      WHERE action = '' AND roll_number IS NULL AND {column} <> '' GROUP BY {column} HAVING COUNT(*) > 1) AS d
                WHERE s.action = '' AND s.roll_number IS NULL AND s.{column} = d.v AND s.line_no > d.first"""
            )
            # A row can also share a phone with a row already merged into an existing person.
            self._execute(
                f"""UPDATE {STAGING} AS s SET action = 'merge', person_id = d.pid
                FROM (SELECT {column} AS v, MIN(person_id) AS pid FROM {STAGING}
                      WHERE action = 'merge' AND roll_number IS NULL AND {column} <> '' GROUP BY {column}) AS d
                WHERE s.action = '' AND s.roll_number IS NULL AND s.{column} = d.v"""
            )
        # Chains (A shares an email with B, B a phone with C): follow up to the first row.
        while self._execute(
            f"""UPDATE {STAGING} AS s SET leader = l.leader FROM {STAGING} AS l
            WHERE s.action = 'follow' AND l.line_no = s.leader AND l.action = 'follow'"""
        ):
            pass

    def _remove_absent_voters(self, now: datetime) -> int:
        # Moved voters also give up their old place first, so two voters can swap places.
        if self.moved:
            self._execute(
                f"UPDATE people_person SET roll_number = NULL WHERE id IN (SELECT person_id FROM {STAGING} WHERE action = 'moved')"
            )
        return self._execute(
            f"""UPDATE people_person SET is_voter = FALSE, roll_number = NULL, updated_at = %s
            WHERE roll_number IS NOT NULL
              AND roll_commune_code IN (SELECT DISTINCT roll_commune_code FROM {STAGING} WHERE roll_number IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM {STAGING} AS s WHERE s.person_id = people_person.id)
              AND NOT EXISTS (SELECT 1 FROM {KEEP} AS k WHERE k.commune = people_person.roll_commune_code
                              AND k.station = people_person.roll_station_code AND k.number = people_person.roll_number)""",
            [now],
        )

    def _sources_add(self, column: str = "people_person.sources") -> tuple[str, str, list[object]]:
        """SQL that appends the source to `sources` when absent, and the test that it is present."""
        if self.pg:
            return (
                f"CASE WHEN {column} ? %s::text THEN {column} ELSE {column} || jsonb_build_array(%s::text) END",
                f"{column} ? %s::text",
                [self.source, self.source],
            )
        present = f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value = %s)"
        return (
            f"CASE WHEN {present} THEN {column} ELSE json_insert({column}, '$[#]', %s) END",
            present,
            [self.source, self.source],
        )

    def _extra_merge(self, column: str = "people_person.extra") -> tuple[str, str]:
        if self.pg:
            return f"{column} || s.extra::jsonb", f"{column} @> s.extra::jsonb"
        return f"json_patch({column}, s.extra)", f"json({column}) = json_patch({column}, s.extra)"

    def _update_voters(self, now: datetime, matched: int) -> tuple[int, int]:
        """`matched`: rows matched by roll identity or as moved (the matching updates' counts)."""
        if not matched:
            return 0, 0
        columns = [c for c in PERSON_COLUMNS if c != "extra"]
        sources_sql, sources_present, sources_params = self._sources_add()
        extra_sql, extra_present = self._extra_merge()
        assignments = ", ".join(f"{c} = s.{c}" for c in columns)
        changed = " OR ".join(
            f"NOT ({self._same('people_person.' + c, 's.' + c)})" for c in columns
        )
        voter = ", is_voter = TRUE" if self.is_roll else ""
        voter_changed = " OR NOT people_person.is_voter" if self.is_roll else ""
        updated = self._execute(
            f"""UPDATE people_person SET {assignments}{voter}, extra = {extra_sql}, sources = {sources_sql}, updated_at = %s
            FROM {STAGING} AS s
            WHERE s.person_id = people_person.id AND s.action IN ('roll', 'moved')
              AND ({changed}{voter_changed} OR NOT ({extra_present}) OR NOT ({sources_present}))""",
            [*sources_params, now, self.source],
        )
        return updated, matched - updated

    def _insert_new(self, now: datetime, *, every_row_new: bool) -> int:
        """Staged rows still unmatched are new people. Their ids are `base + line number`: one
        block of ids is reserved at once, so staging rows never need rewriting to learn their
        person id. `every_row_new`: nothing was matched or merged, so the counts are known."""
        if every_row_new:
            last_line, new_rows = (self.last_line, self.staged) if self.staged else (None, 0)
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT MAX(line_no), COUNT(*) FROM {STAGING} WHERE action = ''")
                last_line, new_rows = cursor.fetchone() or (None, 0)
        if last_line is None:
            if not self.reserved:
                self.base = 0
            return 0
        if not self.reserved:
            self._reserve_ids(int(last_line))
            if new_rows >= BULK_ROWS and new_rows >= self._people_count():
                self.rebuild = self._drop_secondary_indexes()
        columns = ", ".join(DIRECT_COLUMNS)
        selected = ", ".join(f"s.{c}" for c in PERSON_COLUMNS if c != "extra")
        extra = "s.extra::jsonb" if self.pg else "s.extra"
        sources = "jsonb_build_array(%s::text)" if self.pg else "json_array(%s)"
        roll = "TRUE" if self.is_roll else "FALSE"
        contact = "FALSE" if self.is_roll else "TRUE"
        return self._execute(
            f"""INSERT INTO people_person ({columns})
            SELECT {self.base} + s.line_no, {selected}, {extra}, {roll}, {contact}, FALSE, FALSE, FALSE, FALSE, {sources}, '', '', %s, %s
            FROM {STAGING} AS s WHERE s.action = ''""",
            [self.source, now, now],
        )

    def _reserve_ids(self, last_line: int) -> None:
        """Ids `base + 1` … `base + last_line` are this import's: nobody else takes one."""
        if self.pg:
            # No other insert may take an id of the block between reading and moving the sequence.
            self._execute("LOCK TABLE people_person IN SHARE ROW EXCLUSIVE MODE")
            sequence = "pg_get_serial_sequence('people_person', 'id')"
            self.base = int(
                self._scalar(
                    """SELECT GREATEST(COALESCE((SELECT MAX(id) FROM people_person), 0),
                    (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM people_person_id_seq))"""
                )
                or 0
            )
            self._scalar(f"SELECT setval({sequence}, %s)", [self.base + last_line])
        else:
            # The import holds SQLite's write lock; explicit ids move AUTOINCREMENT's counter.
            self.base = int(self._scalar("SELECT COALESCE(MAX(id), 0) FROM people_person") or 0)
        self.reserved = True

    def _rebuild_indexes(self, *, created: int) -> None:
        if self.rebuild and self.pg:
            # PostgreSQL refuses CREATE INDEX while deferred FK checks of the insert are pending.
            self._execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in self.rebuild:
            self._execute(statement)
        if self.rebuild and self.pg:
            self._execute("SET CONSTRAINTS ALL DEFERRED")
        self.rebuild = []
        if self.pg and created > 10_000:
            # The plans of the statements that follow join people on `id` only: statistics of
            # that column (and the row count) are enough; all columns would cost seconds per million.
            self._execute("ANALYZE people_person (id)")

    def _people_count(self) -> int:
        if self.pg:  # the planner's estimate is enough to compare with the rows to insert
            return int(
                self._scalar(
                    "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = 'people_person'"
                )
                or 0
            )
        return int(self._scalar("SELECT COUNT(*) FROM people_person") or 0)

    def _drop_secondary_indexes(self) -> list[str]:
        """For a load at least as big as the table: drop the non-unique indexes and return the
        statements that rebuild them. Building an index by sorting once is several times faster
        than maintaining nine B-trees row by row. Unique indexes stay (they guard identity).
        Inside the import transaction: a failure rolls the drop back too. On PostgreSQL the
        table is locked for the rest of the transaction, which an initial roll load can afford."""
        if self.pg:
            rows = self._rows(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'people_person' AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
            )
        else:
            rows = self._rows(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'people_person' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'"
            )
        for name, _definition in rows:
            self._execute(f'DROP INDEX "{name}"')
        if self.pg:
            self._execute("SET LOCAL maintenance_work_mem = '256MB'")
        return [definition for _name, definition in rows]

    def _rows(self, sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [])
            return list(cursor.fetchall())

    def _point_followers(self) -> None:
        if not self.contact_columns:
            return  # followers share an email or a phone: none without those columns
        self._execute(
            f"""UPDATE {STAGING} AS s SET person_id = COALESCE(l.person_id, {self.base} + l.line_no) FROM {STAGING} AS l
            WHERE s.action = 'follow' AND l.line_no = s.leader"""
        )

    def _merge_contacts(self, now: datetime) -> int:
        if not self.contact_columns:
            return 0  # merges match on emails and phones only
        merged = int(
            self._scalar(f"SELECT COUNT(*) FROM {STAGING} WHERE action IN ('merge', 'follow')") or 0
        )
        if not merged:
            return 0
        fill = [
            c
            for c in PERSON_COLUMNS
            if c
            not in (
                "extra",
                "roll_commune_code",
                "roll_station_code",
                "roll_number",
                "birth_year",
                "birth_month",
                "birth_day",
            )
        ]
        assignments = ", ".join(
            f"{c} = CASE WHEN people_person.{c} = '' THEN s.{c} ELSE people_person.{c} END"
            for c in fill
        )
        sources_sql, _present, sources_params = self._sources_add()
        extra_sql, _extra_present = self._extra_merge()
        roles = "is_voter = TRUE" if self.is_roll else "is_contact = TRUE"
        # A roll row merged into a contact gives it its roll identity (matching made sure it had none).
        roll = (
            ", roll_commune_code = s.roll_commune_code, roll_station_code = s.roll_station_code, roll_number = s.roll_number"
            if self.is_roll
            else ""
        )
        self._execute(
            f"""UPDATE people_person SET {assignments}, {roles}{roll},
                birth_year = COALESCE(people_person.birth_year, s.birth_year),
                birth_month = CASE WHEN people_person.birth_year IS NULL THEN s.birth_month ELSE people_person.birth_month END,
                birth_day = CASE WHEN people_person.birth_year IS NULL THEN s.birth_day ELSE people_person.birth_day END,
                extra = {extra_sql}, sources = {sources_sql}, updated_at = %s
            FROM {STAGING} AS s
            WHERE s.person_id = people_person.id AND s.action = 'merge'
              AND s.line_no = (SELECT MIN(t.line_no) FROM {STAGING} AS t WHERE t.person_id = s.person_id AND t.action = 'merge')""",
            [*sources_params, now],
        )
        return merged

    def _insert_children(self, now: datetime) -> None:
        live = "s.action <> 'dup'"
        pid = f"COALESCE(s.person_id, {self.base} + s.line_no)"
        source = self.source[:100]
        if "email" in self.contact_columns:  # else no row has one: no scan of staging
            self._execute(
                f"""INSERT INTO people_emailaddress (person_id, address, status, is_primary, source, created_at, updated_at)
                SELECT {pid}, s.email, 'unverified',
                       s.action <> 'follow' AND NOT EXISTS (SELECT 1 FROM people_emailaddress AS e WHERE e.person_id = {pid}),
                       %s, %s, %s
                FROM {STAGING} AS s WHERE {live} AND s.email <> ''
                ON CONFLICT (person_id, address) DO NOTHING""",
                [source, now, now],
            )
        for column, kind in (("mobile", "mobile"), ("landline", "landline")):
            if column not in self.contact_columns:
                continue  # no row has one: skip the scan of the staging table
            self._execute(
                f"""INSERT INTO people_phonenumber (person_id, number, kind, status, is_primary, source, created_at, updated_at)
                SELECT {pid}, s.{column}, %s, 'unverified',
                       s.action <> 'follow' AND NOT EXISTS (SELECT 1 FROM people_phonenumber AS p WHERE p.person_id = {pid}),
                       %s, %s, %s
                FROM {STAGING} AS s WHERE {live} AND s.{column} <> ''
                ON CONFLICT (person_id, number) DO NOTHING""",
                [kind, source, now, now],
            )
        for name, slug, kind in (
            ("profession", "profession_slug", "profession"),
            ("tag", "tag_slug", "other"),
        ):
            if slug not in self.filled:
                continue
            self._execute(
                f"""INSERT INTO people_tag (name, slug, kind)
                SELECT MIN({name}), {slug}, %s FROM {STAGING} WHERE {slug} <> '' GROUP BY {slug}
                ON CONFLICT (slug) DO NOTHING""",
                [kind],
            )
            self._execute(
                f"""INSERT INTO people_persontag (person_id, tag_id)
                SELECT DISTINCT {pid}, t.id FROM {STAGING} AS s JOIN people_tag AS t ON t.slug = s.{slug}
                WHERE {live} AND s.{slug} <> ''
                ON CONFLICT (person_id, tag_id) DO NOTHING"""
            )
        self._consents(now, live, pid)

    def _consents(self, now: datetime, live: str, pid: str) -> None:
        """Record what the file says, per channel, only when it differs from the consent in force."""
        true, false = "TRUE", "FALSE"
        channels = [
            (
                "email",
                "consent_email",
                "CASE WHEN s.email_optout = 1 THEN 0 ELSE s.consent_email END",
                "s.email <> ''",
                "consent",
            ),
            (
                "sms",
                "consent_sms",
                "CASE WHEN s.sms_optout = 1 THEN 0 ELSE s.consent_sms END",
                "s.mobile <> ''",
                "consent",
            ),
            (
                "phone",
                "consent_phone",
                "CASE WHEN s.call_optout = 1 THEN 0 ELSE s.consent_phone END",
                "(s.mobile <> '' OR s.landline <> '')",
                "consent",
            ),
        ]
        # The roll gives no consent: its legal basis (art. L37) is the person's `is_voter` and
        # `sources`, not a Consent row per voter. Only what a file states is recorded here.
        present = set(self.contact_columns)
        needs = {"email": {"email"}, "sms": {"mobile"}, "phone": {"mobile", "landline"}}
        for channel, person_column, value, has_channel, basis in channels:
            if not needs[channel] & present:
                continue  # no row of this file has that channel: nothing to record
            wanted = f"(SELECT {pid} AS pid, MAX({value}) AS v FROM {STAGING} AS s WHERE {live} AND {has_channel} GROUP BY {pid})"
            granted = f"CASE WHEN w.v = 1 THEN {true} ELSE {false} END"
            self._execute(
                f"""INSERT INTO people_consent (person_id, channel, granted, legal_basis, source, recorded_at)
                SELECT w.pid, %s, {granted}, %s, %s, %s FROM {wanted} AS w JOIN people_person AS p ON p.id = w.pid
                WHERE w.v IS NOT NULL AND NOT ({self._same("p." + person_column, granted)})""",
                [channel, basis, self.source[:150], now],
            )
            self._execute(
                f"""UPDATE people_person SET {person_column} = {granted}
                FROM {wanted} AS w
                WHERE w.pid = people_person.id AND w.v IS NOT NULL
                  AND NOT ({self._same("people_person." + person_column, granted)})"""
            )
