# ruff: noqa: S608 - SQL is built from the models' table and column names, module constants and ints; values are parameters
"""Writing an import in sets: rows go to a temporary staging table (COPY on PostgreSQL,
`executemany` on SQLite), then a fixed number of set-based statements match, insert and
update people, emails, phones, tags and consents. The number of queries does not depend on
the number of rows, and nothing here is Django's ORM on the hot path. What differs between the
databases is asked of `maillage.core.dialect`; table and column names come from the models.

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

Where the database streams COPY (PostgreSQL), a file without contact columns (email, phone,
tags) goes *direct*: its rows whose commune has no voter yet cannot match anybody, so they are
copied straight into the people table (one COPY stream, inside the import's transaction) and
only the rows of communes already known go through staging and matching. A first load of a
department's roll never touches staging.

One step per module, combined in `StagingWriter`: `staging` (temporary tables, rows in),
`direct` (the direct load), `matching`, `person_rows` (people updated, inserted, merged),
`children` (emails, phones, tags, consents), `indexes` (ids reserved, indexes dropped and
rebuilt for a big load).
"""

from __future__ import annotations

from datetime import datetime

from maillage.people.imports.rows import PERSON_COLUMNS, STAGING_COLUMNS, STAGING_NAMES
from maillage.people.imports.writer.base import KEEP, MOVED, PERSON, STAGING, WriteResult
from maillage.people.imports.writer.children import ChildRows
from maillage.people.imports.writer.direct import (
    DIRECT_COLUMNS,
    DirectLoad,
    DirectRoute,
    copy_line,
)
from maillage.people.imports.writer.indexes import IndexHandling
from maillage.people.imports.writer.matching import Matching
from maillage.people.imports.writer.person_rows import PersonRows
from maillage.people.imports.writer.staging import RollIdentities, StagingLoad, roll_identities

__all__ = [
    "BULK_ROWS",
    "DIRECT_COLUMNS",
    "KEEP",
    "MOVED",
    "PERSON_COLUMNS",
    "STAGING",
    "STAGING_COLUMNS",
    "STAGING_NAMES",
    "DirectRoute",
    "RollIdentities",
    "StagingWriter",
    "WriteResult",
    "copy_line",
    "roll_identities",
]

BULK_ROWS = 50_000  # from this many new people (and at least the table's size), indexes are rebuilt


class StagingWriter(StagingLoad, DirectLoad, Matching, PersonRows, ChildRows, IndexHandling):
    """Owns the staging table for one import: `create`, then (direct mode: `start_direct` inside
    the import's transaction) `add` per batch, then `apply` once inside that transaction."""

    def _big_load(self, new_people: int, people: int | None = None) -> bool:
        """Are the new people enough to drop the secondary indexes and rebuild them after?
        (`people`: the table's size, read when needed.)"""
        if new_people < BULK_ROWS:
            return False
        return new_people >= (self._people_count() if people is None else people)

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
            self._record_stations(stations)
        if self.direct:
            result.created = self.copied
        if self.staged:
            self._apply_staging(result, now)
        elif not self.reserved:
            self.base = 0
        if not self.staged:  # else `_apply_staging` did, before the statements that needed it
            self._rebuild_indexes(created=result.created)
        if collect_new_ids and result.created:
            result.new_ids = self._new_ids()
        return result

    def _new_ids(self) -> list[int]:
        if self.direct:  # every person of the reserved block is new
            rows = self._rows(
                f"SELECT {PERSON.id} FROM {PERSON.table} WHERE {PERSON.id} > %s AND {PERSON.id} <= %s ORDER BY {PERSON.id}",
                [self.base, self.base + self.last_line],
            )
        else:
            rows = self._rows(
                f"SELECT {self.base} + line_no FROM {STAGING} WHERE action = '' ORDER BY line_no"
            )
        return [row[0] for row in rows]

    def _apply_staging(self, result: WriteResult, now: datetime) -> None:
        """Match, update and insert the staged rows (all rows, unless direct)."""
        self._index_staging()
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
        result.created += self._insert_new(now, every_row_new=every_row_new)
        # Before the statements that join the new people (followers, merges, child rows).
        self._rebuild_indexes(created=result.created)
        self._point_followers()
        result.merged = self._merge_contacts(now)
        self._insert_children(now)
