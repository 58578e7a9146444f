"""What every step of the import writer shares: table and column names read from the models,
the state of one import, and how a statement runs (through the database's dialect)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

from maillage.core.dialect import dialect
from maillage.people.models import (
    Consent,
    EmailAddress,
    Person,
    PersonTag,
    PhoneNumber,
    Tag,
)

if TYPE_CHECKING:
    from maillage.people.imports.writer.direct import DirectRoute
    from maillage.people.imports.writer.staging import RollIdentities

# The session's temporary tables (see `StagingLoad.create`).
STAGING = "people_import_staging"
KEEP = "people_import_keep"
MOVED = "people_import_moved"


class Names:
    """A model's table and columns as SQL names them: `.table`, and `.<field name>` for the
    field's column (`EMAIL.person` is `person_id`). A renamed field fails here, loudly."""

    def __init__(self, model: type[models.Model]) -> None:
        self.table: str = model._meta.db_table
        self._columns = {f.name: f.column for f in model._meta.concrete_fields}

    def __getattr__(self, name: str) -> str:
        try:
            return self.__dict__["_columns"][name]  # type: ignore[no-any-return]
        except KeyError:
            raise AttributeError(name) from None

    def column(self, name: str) -> str:
        return getattr(self, name)


PERSON = Names(Person)
EMAIL = Names(EmailAddress)
PHONE = Names(PhoneNumber)
TAG = Names(Tag)
PERSON_TAG = Names(PersonTag)
CONSENT = Names(Consent)


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


class WriterBase:
    """The state of one import, shared by its steps (staging, direct load, matching, people,
    child rows, indexes: one class each, combined in `StagingWriter`)."""

    def __init__(self, *, source: str, is_roll: bool, direct: bool = False) -> None:
        """`direct`: the file has no contact columns; where the database streams COPY, rows of
        communes without voters go straight to the people table (see the package docstring)."""
        from maillage.people.imports.writer.staging import RollIdentities

        self.sql = dialect()
        self.source = source
        self.base = 0
        self.direct = direct and self.sql.streams_copy
        self.identities: RollIdentities = RollIdentities()
        self.duplicates: dict[int, int] = {}  # line → first line with that roll identity
        self.staged = 0  # rows written to staging (all rows, unless direct)
        self.copied = 0  # rows copied straight into the people table (direct mode)
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
        self.rows = 0
        self.keep: list[tuple[str, str, int]] = []
        self.filled: set[str] = set()  # optional staging columns some row fills (see `apply`)
        self.moved = 0
        # What `add` learns from the rows on their way in, so `apply` need not scan staging:
        self.last_line = 0
        self.roll_communes: set[str] = set()
        self.unidentified = False  # some row has no roll identity

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        return self.sql.execute(sql, params)

    def _scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return self.sql.scalar(sql, params)

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return self.sql.rows(sql, params)

    def _same(self, left: str, right: str) -> str:
        return self.sql.same(left, right)

    # Defined by the steps that own them; declared here for the steps that call them.
    def _big_load(self, new_people: int, people: int | None = None) -> bool:
        raise NotImplementedError

    def _close_direct(self) -> None:
        raise NotImplementedError

    def _copy_direct(self, text: bytes, rows: int, *, of: int) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def _reserve_ids(self, last_line: int) -> None:
        raise NotImplementedError

    def _people_count(self) -> int:
        raise NotImplementedError

    def _drop_secondary_indexes(self) -> list[str]:
        raise NotImplementedError
