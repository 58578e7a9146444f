"""The SQLite backend's placeholders, converted once per statement (maillage.core.sqlite3).

The conversion is tested as a function, so it runs whatever database the suite uses; a read
through the real connection checks the wiring where the suite runs on SQLite."""

from __future__ import annotations

import sqlite3

from django.db import connection
from django.test import SimpleTestCase, TestCase

from maillage.accounts.models import User
from maillage.accounts.tests.factories import UserFactory
from maillage.core.sqlite3.base import KEPT_STATEMENT_LENGTH, SQLiteCursorWrapper, _qmark


class PlaceholderConversionTestCase(SimpleTestCase):
    def setUp(self) -> None:
        _qmark.cache_clear()
        self.cursor = SQLiteCursorWrapper(sqlite3.connect(":memory:"))
        self.addCleanup(self.cursor.connection.close)

    def test_it_converts_as_django_does_and_keeps_the_result(self) -> None:
        query = "SELECT %s, '100%%' WHERE a = %s AND b LIKE '%%x'"
        converted = self.cursor.convert_query(query)
        self.assertEqual(converted, "SELECT ?, '100%' WHERE a = ? AND b LIKE '%x'")
        # The same text gives the same string, from the cache: the sqlite3 module's own
        # statement cache then finds it too.
        self.assertIs(self.cursor.convert_query(query), converted)
        self.assertEqual(_qmark.cache_info().hits, 1)

    def test_named_parameters_and_long_statements_are_converted_each_time(self) -> None:
        self.assertEqual(
            self.cursor.convert_query("SELECT %(a)s, %(b)s", param_names=["a", "b"]),
            "SELECT :a, :b",
        )
        long = "INSERT INTO t VALUES " + ", ".join(["(%s)"] * (KEPT_STATEMENT_LENGTH // 4))  # noqa: S608
        self.assertTrue(self.cursor.convert_query(long).startswith("INSERT INTO t VALUES (?), (?)"))
        self.assertEqual(_qmark.cache_info().currsize, 0)

    def test_a_converted_statement_runs(self) -> None:
        self.cursor.execute("SELECT %s + %s, '5%%'", [2, 3])
        self.assertEqual(self.cursor.fetchone(), (5, "5%"))


class ConnectionTestCase(TestCase):
    def test_the_suites_connection_reads_through_it(self) -> None:
        user = UserFactory()
        with connection.cursor() as cursor:
            cursor.execute('SELECT "email" FROM "accounts_user" WHERE "id" = %s', [user.pk])
            self.assertEqual(cursor.fetchone()[0], user.email)
            if connection.vendor == "sqlite":
                self.assertIsInstance(cursor.cursor, SQLiteCursorWrapper)
        self.assertEqual(User.objects.get(pk=user.pk), user)
