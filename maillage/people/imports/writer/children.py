# ruff: noqa: S608 - SQL is built from the models' table and column names, module constants and ints; values are parameters
"""Child rows of the people an import touched: emails, phones, tags (professions and free tags)
and consents, each inserted by one statement that skips what is already there."""

from __future__ import annotations

from datetime import datetime

from maillage.people.imports.writer.base import (
    CONSENT,
    EMAIL,
    PERSON,
    PERSON_TAG,
    PHONE,
    STAGING,
    TAG,
    WriterBase,
)
from maillage.people.models import Consent, ConsentChannel, ContactStatus, PhoneNumber, Tag

# Staged rows that are people of this import (a repeated roll identity is not), and their person.
_LIVE = "s.action <> 'dup'"


class ChildRows(WriterBase):
    def _insert_children(self, now: datetime) -> None:
        live = _LIVE
        pid = f"COALESCE(s.person_id, {self.base} + s.line_no)"
        source = self.source[:100]
        unverified = ContactStatus.UNVERIFIED.value
        if "email" in self.contact_columns:  # else no row has one: no scan of staging
            E = EMAIL
            self._execute(
                f"""INSERT INTO {E.table} ({E.person}, {E.address}, {E.status}, {E.is_primary}, {E.source}, {E.created_at}, {E.updated_at})
                SELECT {pid}, s.email, %s,
                       s.action <> 'follow' AND NOT EXISTS (SELECT 1 FROM {E.table} AS e WHERE e.{E.person} = {pid}),
                       %s, %s, %s
                FROM {STAGING} AS s WHERE {live} AND s.email <> ''
                ON CONFLICT ({E.person}, {E.address}) DO NOTHING""",
                [unverified, source, now, now],
            )
        F = PHONE
        for column, kind in (
            ("mobile", PhoneNumber.Kind.MOBILE.value),
            ("landline", PhoneNumber.Kind.LANDLINE.value),
        ):
            if column not in self.contact_columns:
                continue  # no row has one: skip the scan of the staging table
            self._execute(
                f"""INSERT INTO {F.table} ({F.person}, {F.number}, {F.kind}, {F.status}, {F.is_primary}, {F.source}, {F.created_at}, {F.updated_at})
                SELECT {pid}, s.{column}, %s, %s,
                       s.action <> 'follow' AND NOT EXISTS (SELECT 1 FROM {F.table} AS p WHERE p.{F.person} = {pid}),
                       %s, %s, %s
                FROM {STAGING} AS s WHERE {live} AND s.{column} <> ''
                ON CONFLICT ({F.person}, {F.number}) DO NOTHING""",
                [kind, unverified, source, now, now],
            )
        T, PT = TAG, PERSON_TAG
        for name, slug, kind in (
            ("profession", "profession_slug", Tag.Kind.PROFESSION.value),
            ("tag", "tag_slug", Tag.Kind.OTHER.value),
        ):
            if slug not in self.filled:
                continue
            self._execute(
                f"""INSERT INTO {T.table} ({T.name}, {T.slug}, {T.kind})
                SELECT MIN({name}), {slug}, %s FROM {STAGING} WHERE {slug} <> '' GROUP BY {slug}
                ON CONFLICT ({T.slug}) DO NOTHING""",
                [kind],
            )
            self._execute(
                f"""INSERT INTO {PT.table} ({PT.person}, {PT.tag})
                SELECT DISTINCT {pid}, t.{T.id} FROM {STAGING} AS s JOIN {T.table} AS t ON t.{T.slug} = s.{slug}
                WHERE {live} AND s.{slug} <> ''
                ON CONFLICT ({PT.person}, {PT.tag}) DO NOTHING"""
            )
        self._consents(now, live, pid)

    def _consents(self, now: datetime, live: str, pid: str) -> None:
        """Record what the file says, per channel, only when it differs from the consent in force."""
        P, C = PERSON, CONSENT
        channels = [
            (
                ConsentChannel.EMAIL,
                P.consent_email,
                "CASE WHEN s.email_optout = 1 THEN 0 ELSE s.consent_email END",
                "s.email <> ''",
            ),
            (
                ConsentChannel.SMS,
                P.consent_sms,
                "CASE WHEN s.sms_optout = 1 THEN 0 ELSE s.consent_sms END",
                "s.mobile <> ''",
            ),
            (
                ConsentChannel.PHONE,
                P.consent_phone,
                "CASE WHEN s.call_optout = 1 THEN 0 ELSE s.consent_phone END",
                "(s.mobile <> '' OR s.landline <> '')",
            ),
        ]
        # The roll gives no consent: its legal basis (art. L37) is the person's `is_voter` and
        # `sources`, not a Consent row per voter. Only what a file states is recorded here.
        basis = Consent.LegalBasis.CONSENT.value
        present = set(self.contact_columns)
        needs = {
            ConsentChannel.EMAIL: {"email"},
            ConsentChannel.SMS: {"mobile"},
            ConsentChannel.PHONE: {"mobile", "landline"},
        }
        for channel, person_column, value, has_channel in channels:
            if not needs[channel] & present:
                continue  # no row of this file has that channel: nothing to record
            wanted = f"(SELECT {pid} AS pid, MAX({value}) AS v FROM {STAGING} AS s WHERE {live} AND {has_channel} GROUP BY {pid})"
            granted = "CASE WHEN w.v = 1 THEN TRUE ELSE FALSE END"
            self._execute(
                f"""INSERT INTO {C.table} ({C.person}, {C.channel}, {C.granted}, {C.legal_basis}, {C.source}, {C.recorded_at})
                SELECT w.pid, %s, {granted}, %s, %s, %s FROM {wanted} AS w JOIN {P.table} AS p ON p.{P.id} = w.pid
                WHERE w.v IS NOT NULL AND NOT ({self._same("p." + person_column, granted)})""",
                [channel.value, basis, self.source[:150], now],
            )
            self._execute(
                f"""UPDATE {P.table} SET {person_column} = {granted}
                FROM {wanted} AS w
                WHERE w.pid = {P.table}.{P.id} AND w.v IS NOT NULL
                  AND NOT ({self._same(f"{P.table}.{person_column}", granted)})"""
            )
