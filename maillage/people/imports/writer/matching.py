# ruff: noqa: S608 - SQL is built from the models' table and column names, module constants and ints; values are parameters
"""Matching: each staged row learns which person it is (`person_id`) and what to do with it
(`action`: '' new, 'roll', 'moved', 'merge', 'follow', 'dup'), in a fixed number of set-based
statements. The order, and why, is in the package's docstring."""

from __future__ import annotations

from datetime import datetime

from maillage.people.imports.writer.base import (
    EMAIL,
    KEEP,
    MOVED,
    PERSON,
    PHONE,
    STAGING,
    WriterBase,
)
from maillage.people.normalise import fold

P = PERSON


class Matching(WriterBase):
    def _voters_known(self) -> bool:
        """Does the database hold any voter of the communes this file lists?"""
        communes = sorted(self.roll_communes - {""})
        known = False
        for start in range(0, len(communes), 500):  # under every backend's parameter limit
            chunk = communes[start : start + 500]
            known = known or bool(
                self._rows(
                    f"SELECT 1 FROM {P.table} WHERE {P.roll_number} IS NOT NULL AND {P.roll_commune_code} IN ({', '.join(['%s'] * len(chunk))}) LIMIT 1",
                    chunk,
                )
            )
        return known

    def _match_roll_identity(self) -> int:
        same = self._same
        return self._execute(
            f"""UPDATE {STAGING} AS s SET person_id = p.{P.id}, action = 'roll'
            FROM {P.table} AS p
            WHERE s.action = '' AND s.roll_number IS NOT NULL AND p.{P.roll_number} IS NOT NULL
              AND p.{P.roll_number} = s.roll_number AND p.{P.roll_station_code} = s.roll_station_code
              AND p.{P.roll_commune_code} = s.roll_commune_code
              AND {same(f"p.{P.birth_year}", "s.birth_year")} AND {same(f"p.{P.birth_month}", "s.birth_month")}
              AND {same(f"p.{P.birth_day}", "s.birth_day")}"""
        )

    def _match_moved(self) -> int:
        """Voters of these communes the file no longer lists at their old place, matched by name and
        birth date to the unmatched rows. Only these few people are read into Python."""
        with self.sql.connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT p.{P.id}, p.{P.birth_name}, p.{P.first_names}, p.{P.birth_year}, p.{P.birth_month}, p.{P.birth_day}
                FROM {P.table} AS p
                WHERE p.{P.roll_number} IS NOT NULL
                  AND p.{P.roll_commune_code} IN (SELECT DISTINCT roll_commune_code FROM {STAGING} WHERE roll_number IS NOT NULL)
                  AND NOT EXISTS (SELECT 1 FROM {STAGING} AS s WHERE s.person_id = p.{P.id})"""
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
            ("email", EMAIL.table, EMAIL.address),
            ("mobile", PHONE.table, PHONE.number),
            ("landline", PHONE.table, PHONE.number),
        ):
            if column not in self.contact_columns:
                continue
            person = EMAIL.person if column == "email" else PHONE.person
            self._execute(
                f"""UPDATE {STAGING} AS s SET person_id = m.pid, action = 'merge'
                FROM (SELECT t.line_no AS line_no, MIN(c.{person}) AS pid
                      FROM {STAGING} AS t JOIN {table} AS c ON c.{key} = t.{column}
                      JOIN {P.table} AS p ON p.{P.id} = c.{person}
                      WHERE t.action = '' AND t.{column} <> '' AND (t.roll_number IS NULL OR p.{P.roll_number} IS NULL)
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

    def _point_followers(self) -> None:
        """After the new people exist: a follower's person is its leader's."""
        if not self.contact_columns:
            return  # followers share an email or a phone: none without those columns
        self._execute(
            f"""UPDATE {STAGING} AS s SET person_id = COALESCE(l.person_id, {self.base} + l.line_no) FROM {STAGING} AS l
            WHERE s.action = 'follow' AND l.line_no = s.leader"""
        )

    def _remove_absent_voters(self, now: datetime) -> int:
        # Moved voters also give up their old place first, so two voters can swap places.
        if self.moved:
            self._execute(
                f"UPDATE {P.table} SET {P.roll_number} = NULL WHERE {P.id} IN (SELECT person_id FROM {STAGING} WHERE action = 'moved')"
            )
        return self._execute(
            f"""UPDATE {P.table} SET {P.is_voter} = FALSE, {P.roll_number} = NULL, {P.updated_at} = %s
            WHERE {P.roll_number} IS NOT NULL
              AND {P.roll_commune_code} IN (SELECT DISTINCT roll_commune_code FROM {STAGING} WHERE roll_number IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM {STAGING} AS s WHERE s.person_id = {P.table}.{P.id})
              AND NOT EXISTS (SELECT 1 FROM {KEEP} AS k WHERE k.commune = {P.table}.{P.roll_commune_code}
                              AND k.station = {P.table}.{P.roll_station_code} AND k.number = {P.table}.{P.roll_number})""",
            [now],
        )
