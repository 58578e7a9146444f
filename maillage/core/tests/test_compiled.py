"""Querysets compiled once per process and day, then bound to each user (core.compiled)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.test import TransactionTestCase
from django.utils import timezone

from maillage.accounts.models import User
from maillage.accounts.tests.factories import UserFactory
from maillage.core import compiled as module
from maillage.core.compiled import (
    CompiledRead,
    compiled_for_user,
    compiled_instances_for_user,
    compiled_instances_together,
    compiled_lookup,
    compiled_reads_together,
)
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.services import audit_log_entry
from maillage.core.tests.base import BaseTestCase


def _build(calls: list[int]):  # type: ignore[no-untyped-def]
    def build(user):  # type: ignore[no-untyped-def]
        calls.append(user.pk)
        return User.objects.filter(pk=user.pk, role__gte=user.role).values("email")

    return build


class CompiledForUserTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        module._compiled.clear()

    def emails(self, user: User, calls: list[int]) -> list[str]:
        from django.db import connection

        sql, params = compiled_for_user(key=("test",), user=user, build=_build(calls))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]

    def test_it_is_built_once_then_bound_to_each_user(self) -> None:
        calls: list[int] = []
        one = UserFactory(role=Role.VOLUNTEER)
        two = UserFactory(role=Role.VOLUNTEER)
        self.assertEqual(self.emails(one, calls), [one.email])
        self.assertEqual(self.emails(two, calls), [two.email])
        self.assertEqual(calls, [module.PLACEHOLDER_USER_ID])  # built for the placeholder, once

    def test_another_role_another_key_or_another_day_is_built_anew(self) -> None:
        calls: list[int] = []
        volunteer = UserFactory(role=Role.VOLUNTEER)
        self.emails(volunteer, calls)
        self.emails(UserFactory(role=Role.TEAM_LEADER), calls)  # the role is in the key
        compiled_for_user(key=("other",), user=volunteer, build=_build(calls))
        tomorrow = timezone.localdate() + timedelta(days=1)
        with patch("django.utils.timezone.localdate", return_value=tomorrow):
            self.emails(volunteer, calls)
        self.assertEqual(len(calls), 4)


class CompiledLookupTestCase(BaseTestCase):
    """One row read by SQL compiled once: the same instance the ORM would give."""

    def setUp(self) -> None:
        super().setUp()
        module._lookups.clear()

    def lookup(self, value: object, calls: list[object]) -> User | None:
        def build(pk):  # type: ignore[no-untyped-def]
            calls.append(pk)
            return User.objects.filter(pk=pk)

        return compiled_lookup(
            key=("test-user",), build=build, placeholder=module.PLACEHOLDER_USER_ID, value=value
        )

    def test_it_gives_the_orm_instance_and_compiles_once(self) -> None:
        first, second = UserFactory(role=Role.STAFF), UserFactory(role=Role.VOLUNTEER)
        calls: list[object] = []
        found = self.lookup(first.pk, calls)
        self.assertEqual(self.lookup(second.pk, calls), second)
        self.assertEqual(calls, [module.PLACEHOLDER_USER_ID])  # built once, bound twice
        expected = User.objects.get(pk=first.pk)
        assert found is not None
        for field in User._meta.concrete_fields:
            # Converted as the ORM converts: aware datetimes, booleans, the role's integer.
            self.assertEqual(
                getattr(found, field.attname), getattr(expected, field.attname), field.name
            )
        self.assertFalse(found._state.adding)
        self.assertEqual(found._state.db, "default")

    def test_no_row_gives_none(self) -> None:
        self.assertIsNone(self.lookup(10**12, []))

    def test_the_queryset_must_filter_on_the_placeholder(self) -> None:
        with self.assertRaises(ValueError):
            compiled_lookup(
                key=("no-placeholder",),
                build=lambda pk: User.objects.filter(role=Role.STAFF),
                placeholder=module.PLACEHOLDER_USER_ID,
                value=1,
            )


class CompiledInstancesTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        module._compiled.clear()

    def test_plain_rows_only_and_filtered_on_the_value(self) -> None:
        with self.assertRaises(ValueError):  # the value is not used: every call the same rows
            compiled_instances_for_user(
                key=("no-value",), user=self.owner, build=lambda u, v: User.objects.all(), value=1
            )
        with self.assertRaises(ValueError):  # values() rows are not model rows
            compiled_instances_for_user(
                key=("values",),
                user=self.owner,
                build=lambda u, v: User.objects.filter(pk=v).values("email"),
                value=self.owner.pk,
            )

    def test_the_user_and_the_value_are_both_bound(self) -> None:
        def build(user, pk):  # type: ignore[no-untyped-def]
            return User.objects.filter(pk=pk, role__lte=user.role)

        found = compiled_instances_for_user(
            key=("both",), user=self.owner, build=build, value=self.teammate.pk
        )
        self.assertEqual(found, [self.teammate])
        self.assertEqual(found[0].last_login, User.objects.get(pk=self.teammate.pk).last_login)
        # A volunteer's role is compiled apart; the staff owner is above it.
        self.assertEqual(
            compiled_instances_for_user(
                key=("both",), user=self.teammate, build=build, value=self.owner.pk
            ),
            [],
        )


class CompiledInstancesTogetherTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        module._compiled.clear()

    def reads(self):  # type: ignore[no-untyped-def]
        return {
            "same": (("together", "same"), lambda u, pk: User.objects.filter(pk=pk)),
            "below": (
                ("together", "below"),
                lambda u, pk: User.objects.filter(pk__lt=pk, role__lte=u.role).order_by("pk"),
            ),
        }

    def test_each_read_gives_what_it_gives_alone(self) -> None:
        found = compiled_instances_together(
            reads=self.reads(), user=self.owner, value=self.outsider.pk
        )
        for name, (key, build) in self.reads().items():
            alone = compiled_instances_for_user(
                key=key, user=self.owner, build=build, value=self.outsider.pk
            )
            self.assertEqual(found[name], alone)
            self.assertEqual(found[name], list(build(self.owner, self.outsider.pk)))
        self.assertEqual(found["same"], [self.outsider])

    def test_the_row_inserted_with_them_goes_in_the_same_round_trip(self) -> None:
        seen: list[object] = []
        entry = audit_log_entry(actor=self.owner, action="view", target=self.teammate)

        def inserted(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
            # On PostgreSQL the reads are still queued as the row goes: pipeline mode.
            if connection.vendor == "postgresql":
                seen.append(connection.connection.pgconn.pipeline_status)

        post_save.connect(inserted, sender=AuditLogEntry)
        self.addCleanup(post_save.disconnect, inserted, sender=AuditLogEntry)
        # The two reads (one statement on PostgreSQL) and the insert.
        with self.assertNumQueries(2 if connection.vendor == "postgresql" else 3):
            found = compiled_instances_together(
                reads=self.reads(), user=self.owner, value=self.owner.pk, inserting=entry
            )
        self.assertEqual(found["same"], [self.owner])
        self.assertEqual(AuditLogEntry.objects.get(pk=entry.pk).target_id, str(self.teammate.pk))
        if connection.vendor == "postgresql":
            from psycopg import pq

            self.assertEqual(seen, [pq.PipelineStatus.ON])

    def test_a_failing_insert_fails_the_whole(self) -> None:
        clash = User(email=self.owner.email)  # the address is unique

        with self.assertRaises(IntegrityError), transaction.atomic():
            compiled_instances_together(
                reads=self.reads(), user=self.owner, value=self.owner.pk, inserting=clash
            )
        self.assertEqual(User.objects.filter(email=self.owner.email).count(), 1)

    def test_on_sqlite_every_read_is_finished_before_the_insert(self) -> None:
        # A read left open keeps its snapshot: the insert that upgrades it to a write fails at
        # once ("database is locked") when another process wrote meanwhile, as under load.
        if connection.vendor != "sqlite":
            self.skipTest("PostgreSQL sends them in one round trip (the test above)")
        import sqlite3

        opened: list[Any] = []
        real_cursor = connection.cursor

        def tracked():  # type: ignore[no-untyped-def]
            cursor = real_cursor()
            opened.append(cursor)
            return cursor

        open_at_insert: list[int] = []

        def inserted(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
            still_open = 0
            for cursor in opened[:2]:
                try:
                    cursor.cursor.fetchone()
                    still_open += 1
                except sqlite3.ProgrammingError:  # closed
                    pass
            open_at_insert.append(still_open)

        pre_save.connect(inserted, sender=AuditLogEntry)
        self.addCleanup(pre_save.disconnect, inserted, sender=AuditLogEntry)
        entry = audit_log_entry(actor=self.owner, action="view", target=self.teammate)
        with patch.object(connection, "cursor", tracked):
            compiled_instances_together(
                reads=self.reads(), user=self.owner, value=self.owner.pk, inserting=entry
            )
        self.assertGreaterEqual(len(opened), 2)
        self.assertEqual(open_at_insert, [0])


class InsertWithoutWaitingForTheDiskTestCase(TransactionTestCase):
    """`wait_for_disk=False` (the contact sheet's audit line): on PostgreSQL the round trip's
    commit does not wait for the WAL flush, for that transaction only. Outside a test's
    transaction, as a request runs, so that "only" can be seen."""

    def setUp(self) -> None:
        super().setUp()
        self.owner = UserFactory(role=Role.STAFF)
        self.teammate = UserFactory(role=Role.VOLUNTEER)

    def round_trip(self, *, wait_for_disk: bool) -> list[Any]:
        entry = audit_log_entry(actor=self.owner, action="view", target=self.teammate)
        setting = (
            "SELECT current_setting('synchronous_commit')"
            if connection.vendor == "postgresql"
            else "SELECT 'not a PostgreSQL setting'"
        )
        found = compiled_reads_together(
            [
                CompiledRead(setting, [], lambda rows: rows[0][0]),
                CompiledRead(
                    'SELECT "email" FROM "accounts_user" WHERE "id" = %s',
                    [self.teammate.pk],
                    lambda rows: [row[0] for row in rows],
                ),
            ],
            inserting=entry,
            wait_for_disk=wait_for_disk,
        )
        # The row is committed either way: another connection's view, as the audit page's.
        self.assertTrue(AuditLogEntry.objects.filter(pk=entry.pk).exists())
        self.assertEqual(found[1], [self.teammate.email])
        return found

    def test_the_setting_holds_for_the_round_trip_only(self) -> None:
        found = self.round_trip(wait_for_disk=False)
        if connection.vendor == "postgresql":
            self.assertEqual(found[0], "off")
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('synchronous_commit')")
                self.assertEqual(cursor.fetchone()[0], "on")
        else:  # SQLite: one statement after another, the setting is never sent
            self.assertEqual(found[0], "not a PostgreSQL setting")

    def test_by_default_the_commit_waits(self) -> None:
        found = self.round_trip(wait_for_disk=True)
        if connection.vendor == "postgresql":
            self.assertEqual(found[0], "on")


class CompiledInsertTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        module._inserts.clear()
        self.actor = UserFactory(role=Role.STAFF)

    def entry(self) -> AuditLogEntry:
        return audit_log_entry(
            actor=self.actor,
            action="view",
            target=self.actor,
            changes={"champ": ["avant", "après"]},
            ip_address="192.0.2.7",
        )

    def test_it_writes_what_save_writes_and_tells_the_signals(self) -> None:
        heard: list[tuple[str, bool | None]] = []

        def before(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
            heard.append(("pre", instance._state.adding))

        def after(sender, instance, created, **kwargs):  # type: ignore[no-untyped-def]
            heard.append(("post", created))

        pre_save.connect(before, sender=AuditLogEntry)
        post_save.connect(after, sender=AuditLogEntry)
        self.addCleanup(pre_save.disconnect, before, sender=AuditLogEntry)
        self.addCleanup(post_save.disconnect, after, sender=AuditLogEntry)
        compiled, saved = self.entry(), self.entry()
        module.compiled_insert(compiled)
        saved.save(force_insert=True)
        self.assertEqual(heard, [("pre", True), ("post", True)] * 2)
        self.assertIsNotNone(compiled.pk)
        self.assertNotEqual(compiled.pk, saved.pk)
        self.assertFalse(compiled._state.adding)
        self.assertEqual(compiled._state.db, connection.alias)
        self.assertIsNotNone(compiled.at)  # auto_now_add, as save() sets it
        columns = ("actor_id", "actor_label", "action", "target_type", "target_id", "changes")
        self.assertEqual(
            AuditLogEntry.objects.values(*columns, "ip_address").get(pk=compiled.pk),
            AuditLogEntry.objects.values(*columns, "ip_address").get(pk=saved.pk),
        )
        self.assertEqual(AuditLogEntry.objects.get(pk=compiled.pk).at, compiled.at)

    def test_its_sql_is_compiled_once(self) -> None:
        from django.db.models.sql.compiler import SQLInsertCompiler

        module.compiled_insert(self.entry())
        with patch.object(SQLInsertCompiler, "as_sql", side_effect=AssertionError) as as_sql:
            second = self.entry()
            module.compiled_insert(second)
        as_sql.assert_not_called()
        self.assertTrue(AuditLogEntry.objects.filter(pk=second.pk).exists())

    def test_a_row_with_its_own_id_after_rows_without_is_refused(self) -> None:
        module.compiled_insert(self.entry())
        own_id = self.entry()
        own_id.pk = 10_000_000
        with self.assertRaises(ValueError):
            module.compiled_insert(own_id)
