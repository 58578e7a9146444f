# ruff: noqa: S608 - SQL is built from the models' table and column names, module constants and ints; values are parameters
"""Staging: the session's temporary tables, and the rows of the file written into them batch by
batch (COPY or `executemany`, as the dialect does it). A repeated roll identity is refused here,
as its row arrives."""

from __future__ import annotations

from array import array
from operator import itemgetter

from maillage.people.imports.rows import STAGING_COLUMNS, STAGING_NAMES
from maillage.people.imports.writer.base import KEEP, MOVED, STAGING, WriterBase

LINE = itemgetter(STAGING_NAMES.index("line_no"))
ROLL_COMMUNE = itemgetter(STAGING_NAMES.index("roll_commune_code"))
ROLL_STATION = itemgetter(STAGING_NAMES.index("roll_station_code"))
ROLL_NUMBER = itemgetter(STAGING_NAMES.index("roll_number"))
# Optional columns, and how to read them from a staged row: the apply phase skips the
# statements (and staging indexes) of the columns no row fills.
OPTIONAL = {
    name: itemgetter(STAGING_NAMES.index(name))
    for name in ("email", "mobile", "landline", "profession_slug", "tag_slug")
}


def roll_identities(rows: list[tuple]) -> list[tuple[int, str, str, int]]:
    """(line, commune, station, number) of the staged rows that have a roll identity."""
    return [
        (LINE(row), ROLL_COMMUNE(row), ROLL_STATION(row), number)
        for row in rows
        if (number := ROLL_NUMBER(row)) is not None
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


class StagingLoad(WriterBase):
    """`create`, then `add` (or `add_routed`) per batch; `drop` at the end, whatever happened."""

    def create(self) -> None:
        int_type = self.sql.int_type
        columns = ", ".join(
            f"{name} {int_type if kind == 'int' else 'text'}" for name, kind in STAGING_COLUMNS
        )
        # Session temp tables, not ON COMMIT DROP: rows are staged outside the final transaction
        # so the progress record can be committed while the file is read.
        self.sql.bulk_session_begin()
        self._drop_tables()
        self._execute(
            f"CREATE TEMPORARY TABLE {STAGING} ({columns}, person_id {int_type}, action text NOT NULL DEFAULT '', leader {int_type})"
        )
        self._execute(
            f"CREATE TEMPORARY TABLE {KEEP} (commune text, station text, number {int_type})"
        )
        self._execute(f"CREATE TEMPORARY TABLE {MOVED} (person_id {int_type}, ident text)")

    def drop(self) -> None:
        self.abort()
        self._drop_tables()
        self.sql.bulk_session_end()

    def _drop_tables(self) -> None:
        for table in (STAGING, KEEP, MOVED):
            self._execute(f"DROP TABLE IF EXISTS {table}")

    def add(self, rows: list[tuple]) -> None:
        """Write a batch of staging tuples (in line order). A row whose roll identity an earlier
        line already has is refused (kept in `duplicates`, {line: earlier line})."""
        duplicates = self._refuse_repeated(roll_identities(rows))
        if duplicates:
            rows = [row for row in rows if LINE(row) not in duplicates]
        if not rows:
            return
        self.rows += len(rows)
        self.last_line = max(self.last_line, LINE(rows[-1]))
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
        self.roll_communes.update(map(ROLL_COMMUNE, rows))
        self.unidentified = self.unidentified or None in map(ROLL_NUMBER, rows)
        for column, value_of in OPTIONAL.items():
            if column not in self.filled and any(map(value_of, rows)):
                self.filled.add(column)
        self.sql.bulk_insert(STAGING, STAGING_NAMES, rows)

    def keep_identity(self, commune: str, station: str, number: int) -> None:
        """A rejected roll row still proves this voter is on the roll: don't mark them removed."""
        self.keep.append((commune, station, number))

    def _index_staging(self) -> None:
        """Before matching: the rows that must stay (rejected voters), and only the indexes this
        file needs (a roll without emails or phones skips three of them)."""
        if self.keep:
            with self.sql.connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {KEEP} (commune, station, number) VALUES (%s, %s, %s)", self.keep
                )
        if self.sql.needs_join_indexes:
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
        # Statistics only for the columns the matching joins and filters on.
        self.sql.analyze(
            STAGING,
            ["roll_commune_code", "roll_station_code", "roll_number", "line_no"]
            + ["email", "mobile", "landline", "ident"],
        )
