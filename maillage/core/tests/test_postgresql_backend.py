"""The PostgreSQL backend's health check, skipped by a connection that has just answered
(maillage.core.postgresql). PostgreSQL only: SQLite keeps no server connection to check."""

from __future__ import annotations

import time
from unittest import skipUnless
from unittest.mock import patch

from django.db import OperationalError, connection, connections
from django.test import TransactionTestCase

from maillage.core.postgresql.base import ANSWERED_RECENTLY, LONGEST_KEPT_STATEMENT


@skipUnless(connection.vendor == "postgresql", "a PostgreSQL connection's health check")
class HealthCheckTestCase(TransactionTestCase):
    def setUp(self) -> None:
        # A connection of its own, as a web worker keeps between requests.
        self.kept = connections.create_connection("default")
        self.kept.settings_dict["CONN_HEALTH_CHECKS"] = True
        self.kept.settings_dict["CONN_MAX_AGE"] = 60
        self.addCleanup(self.kept.close)

    def request(self) -> int:
        """What a request does around its queries (Django's request_started and
        request_finished both call close_if_unusable_or_obsolete); the backend's pid."""
        self.kept.close_if_unusable_or_obsolete()
        try:
            with self.kept.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                return int(cursor.fetchone()[0])
        finally:
            self.kept.close_if_unusable_or_obsolete()

    def checks(self) -> tuple[list[int], object]:
        calls: list[int] = []
        original = self.kept.is_usable

        def counted() -> bool:
            calls.append(1)
            return original()

        return calls, patch.object(self.kept, "is_usable", counted)

    def kill(self, pid: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(0.1)  # the backend is gone before the next query

    def test_a_connection_that_just_answered_is_not_checked_again(self) -> None:
        calls, counting = self.checks()
        with counting:
            first = self.request()  # a new connection: nothing to check
            second = self.request()
            third = self.request()
        self.assertEqual(first, second)
        self.assertEqual(second, third)
        self.assertEqual(calls, [])

    def test_a_connection_idle_longer_is_checked_and_replaced_when_dropped(self) -> None:
        pid = self.request()
        calls, counting = self.checks()
        with counting:
            self.kept.answered_at -= ANSWERED_RECENTLY + 1  # idle for longer than the window
            self.assertEqual(self.request(), pid)
            self.assertEqual(len(calls), 1)  # checked once, alive
            self.kept.answered_at -= ANSWERED_RECENTLY + 1
            self.kill(pid)
            replaced = self.request()  # checked, found dead, reopened: the request succeeds
        self.assertEqual(len(calls), 2)
        self.assertNotEqual(replaced, pid)

    def test_a_drop_within_the_window_fails_one_request_then_recovers(self) -> None:
        # The trade made: without the check, a request in the second after a server restart
        # fails as it would with CONN_HEALTH_CHECKS off, and the next one reconnects.
        pid = self.request()
        self.kill(pid)
        with self.assertRaises(OperationalError):
            self.request()
        self.assertNotEqual(self.request(), pid)

    def test_an_error_that_may_have_broken_the_connection_is_still_checked(self) -> None:
        pid = self.request()
        calls, counting = self.checks()
        with counting:
            self.kept.close_if_unusable_or_obsolete()
            with self.assertRaises(OperationalError), self.kept.cursor() as cursor:
                cursor.execute("SET statement_timeout = 1")
                cursor.execute("SELECT pg_sleep(1)")  # cancelled: an OperationalError
            self.assertTrue(self.kept.errors_occurred)
            self.kept.close_if_unusable_or_obsolete()  # the end of the failed request
            self.assertEqual(len(calls), 1)  # Django's check after an error, not skipped
            self.assertEqual(self.request(), pid)  # alive, kept, and just checked
        self.assertEqual(len(calls), 1)


@skipUnless(connection.vendor == "postgresql", "psycopg's conversion of placeholders")
class LongStatementsKeptTestCase(TransactionTestCase):
    def test_a_long_statement_is_converted_once(self) -> None:
        from psycopg import _queries

        # Longer than psycopg's own limit (4,096), as a contact sheet's one statement is.
        padding = " + ".join(["0"] * 2_500)
        sql = f"SELECT %s + {padding}, %s"
        self.assertGreater(len(sql), 4_096)
        self.assertLessEqual(len(sql), LONGEST_KEPT_STATEMENT)
        before = _queries._query2pg.cache_info()
        for _ in range(3):
            with connection.cursor() as cursor:
                cursor.execute(sql, [1, "deux"])
                self.assertEqual(cursor.fetchone(), (1, "deux"))
        after = _queries._query2pg.cache_info()
        self.assertEqual(after.misses - before.misses, 1)
        self.assertGreaterEqual(after.hits - before.hits, 2)
