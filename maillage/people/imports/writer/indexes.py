"""The people table's side of a big load: the block of ids a load reserves, and its secondary
indexes dropped before many new people arrive and rebuilt after, each by one sort."""

from __future__ import annotations

from maillage.people.imports.writer.base import PERSON, WriterBase


class IndexHandling(WriterBase):
    def _reserve_ids(self, last_line: int) -> None:
        """Ids `base + 1` … `base + last_line` are this import's: nobody else takes one."""
        self.base = self.sql.reserve_ids(PERSON.table, last_line)
        self.reserved = True

    def _people_count(self) -> int:
        """People in the table (an estimate where that is cheaper: it is compared with a load)."""
        return self.sql.row_estimate(PERSON.table)

    def _drop_secondary_indexes(self) -> list[str]:
        """For a load at least as big as the table: drop the non-unique indexes and return the
        statements that rebuild them. Building an index by sorting once is several times faster
        than maintaining nine B-trees row by row. Unique indexes stay (they guard identity).
        Inside the import transaction: a failure rolls the drop back too. On PostgreSQL the
        table is locked for the rest of the transaction, which an initial roll load can afford."""
        return self.sql.drop_secondary_indexes(PERSON.table)

    def _rebuild_indexes(self, *, created: int) -> None:
        self.sql.create_indexes(self.rebuild)
        self.rebuild = []
        # The plans of the statements that follow (and of the next import) join people on `id`:
        # statistics of that column (and the row count) are enough; all columns would cost
        # seconds per million.
        self.sql.analyze_after_load(PERSON.table, created, [PERSON.id])
