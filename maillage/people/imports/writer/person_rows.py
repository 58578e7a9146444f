# ruff: noqa: S608 - SQL is built from the models' table and column names, module constants and ints; values are parameters
"""The people rows themselves: polling stations recorded, matched voters updated, new people
inserted with their reserved ids, contacts merged into the people they matched."""

from __future__ import annotations

from datetime import datetime

from maillage.people.imports.rows import PERSON_COLUMNS
from maillage.people.imports.writer.base import PERSON, STAGING, WriterBase
from maillage.people.imports.writer.direct import DIRECT_COLUMNS
from maillage.people.services.persons import GEOCODE_RESULT_FIELDS, GEOCODED_FIELDS
from maillage.territory import services as territory_services

P = PERSON
# Filled by a merge only where the person's own value is blank.
_IDENTITY = ("roll_commune_code", "roll_station_code", "roll_number")
_BIRTH = ("birth_year", "birth_month", "birth_day")
_FILL_IF_BLANK = [c for c in PERSON_COLUMNS if c not in ("extra", *_IDENTITY, *_BIRTH)]


class PersonRows(WriterBase):
    def _record_stations(self, stations: dict[tuple[str, str], tuple[str, ...]]) -> None:
        """The communes and polling stations of the file (a few hundred for a department),
        registered with their labels in `territory`, the one home of places: a few queries
        for the whole set (see `polling_stations_register`), whatever the number of voters."""
        territory_services.polling_stations_register(stations=stations)

    def _json_updates(self) -> tuple[str, str, list[object]]:
        """(`extra` and `sources` assignments, with their parameters; the test that both would
        change nothing): the file's extra columns merged into `extra`, the source appended."""
        extra, extra_same = self.sql.json_merge(f"{P.table}.{P.extra}", "s.extra")
        sources, sources_present = self.sql.json_array_add(f"{P.table}.{P.sources}")
        assignments = f"{P.extra} = {extra}, {P.sources} = {sources}"
        return assignments, f"({extra_same}) AND ({sources_present})", [self.source] * 2

    def _update_voters(self, now: datetime, matched: int) -> tuple[int, int]:
        """`matched`: rows matched by roll identity or as moved (the matching updates' counts)."""
        if not matched:
            return 0, 0
        columns = [c for c in PERSON_COLUMNS if c != "extra"]
        json_sql, json_same, json_params = self._json_updates()
        assignments = ", ".join(f"{P.column(c)} = s.{c}" for c in columns)
        changed = " OR ".join(
            f"NOT ({self._same(f'{P.table}.{P.column(c)}', 's.' + c)})" for c in columns
        )
        # A voter whose address changed leaves the map until the next geocoding places it again
        # (the SET expressions read the row's old values, on both databases).
        moved = " AND ".join(
            self._same(f"{P.table}.{P.column(c)}", f"s.{c}") for c in GEOCODED_FIELDS
        )
        assignments += "".join(
            f", {P.column(c)} = CASE WHEN {moved} THEN {P.table}.{P.column(c)} END"
            for c in GEOCODE_RESULT_FIELDS
        )
        voter = f", {P.is_voter} = TRUE" if self.is_roll else ""
        voter_changed = f" OR NOT {P.table}.{P.is_voter}" if self.is_roll else ""
        updated = self._execute(
            f"""UPDATE {P.table} SET {assignments}{voter}, {json_sql}, {P.updated_at} = %s
            FROM {STAGING} AS s
            WHERE s.person_id = {P.table}.{P.id} AND s.action IN ('roll', 'moved')
              AND ({changed}{voter_changed} OR NOT ({json_same}))""",
            [*json_params, now, self.source],
        )
        return updated, matched - updated

    def _insert_new(self, now: datetime, *, every_row_new: bool) -> int:
        """Staged rows still unmatched are new people. Their ids are `base + line number`: one
        block of ids is reserved at once, so staging rows never need rewriting to learn their
        person id. `every_row_new`: nothing was matched or merged, so the counts are known."""
        if every_row_new:
            last_line, new_rows = (self.last_line, self.staged) if self.staged else (None, 0)
        else:
            last_line, new_rows = self._rows(
                f"SELECT MAX(line_no), COUNT(*) FROM {STAGING} WHERE action = ''"
            )[0]
        if last_line is None:
            if not self.reserved:
                self.base = 0
            return 0
        if not self.reserved:
            self._reserve_ids(int(last_line))
            if self._big_load(new_rows):
                self.rebuild = self._drop_secondary_indexes()
        selected = ", ".join(f"s.{c}" for c in PERSON_COLUMNS if c != "extra")
        roll = "TRUE" if self.is_roll else "FALSE"
        contact = "FALSE" if self.is_roll else "TRUE"
        return self._execute(
            f"""INSERT INTO {P.table} ({", ".join(DIRECT_COLUMNS)})
            SELECT {self.base} + s.line_no, {selected}, {self.sql.json("s.extra")}, {roll}, {contact}, FALSE, FALSE, FALSE, FALSE, {self.sql.json_array("%s")}, '', '', %s, %s
            FROM {STAGING} AS s WHERE s.action = ''""",
            [self.source, now, now],
        )

    def _merge_contacts(self, now: datetime) -> int:
        if not self.contact_columns:
            return 0  # merges match on emails and phones only
        merged = int(
            self._scalar(f"SELECT COUNT(*) FROM {STAGING} WHERE action IN ('merge', 'follow')") or 0
        )
        if not merged:
            return 0
        table = P.table
        assignments = ", ".join(
            f"{P.column(c)} = CASE WHEN {table}.{P.column(c)} = '' THEN s.{c} ELSE {table}.{P.column(c)} END"
            for c in _FILL_IF_BLANK
        )
        json_sql, _same, json_params = self._json_updates()
        roles = f"{P.is_voter} = TRUE" if self.is_roll else f"{P.is_contact} = TRUE"
        # A roll row merged into a contact gives it its roll identity (matching made sure it had none).
        roll = "".join(f", {P.column(c)} = s.{c}" for c in _IDENTITY) if self.is_roll else ""
        year = f"{table}.{P.birth_year}"
        self._execute(
            f"""UPDATE {table} SET {assignments}, {roles}{roll},
                {P.birth_year} = COALESCE({year}, s.birth_year),
                {P.birth_month} = CASE WHEN {year} IS NULL THEN s.birth_month ELSE {table}.{P.birth_month} END,
                {P.birth_day} = CASE WHEN {year} IS NULL THEN s.birth_day ELSE {table}.{P.birth_day} END,
                {json_sql}, {P.updated_at} = %s
            FROM {STAGING} AS s
            WHERE s.person_id = {table}.{P.id} AND s.action = 'merge'
              AND s.line_no = (SELECT MIN(t.line_no) FROM {STAGING} AS t WHERE t.person_id = s.person_id AND t.action = 'merge')""",
            [*json_params, now],
        )
        return merged
