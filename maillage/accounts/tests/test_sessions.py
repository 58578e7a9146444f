"""The session engine and the password backend read their row through SQL compiled once
(accounts.sessions, accounts.backends, #17): the same rules as Django's own."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from maillage.accounts.backends import AccountBackend
from maillage.accounts.sessions.db import SessionStore
from maillage.core.tests.base import BaseTestCase


class CompiledSessionTestCase(BaseTestCase):
    def test_the_engine_is_ours(self) -> None:
        self.assertTrue(settings.SESSION_ENGINE.startswith("maillage.accounts.sessions."))

    def test_a_saved_session_loads_and_an_expired_one_is_empty(self) -> None:
        store = SessionStore()
        store["answer"] = 42
        store.save()
        self.assertEqual(SessionStore(store.session_key).load(), {"answer": 42})
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
        expired = SessionStore(store.session_key)
        self.assertEqual(expired.load(), {})
        self.assertIsNone(expired._session_key)  # a new key on the next save, as in Django
        self.assertEqual(SessionStore("no-such-session-key-000000000000").load(), {})

    def test_a_logged_in_page_works_and_logout_ends_the_session(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get("/dashboard/").status_code, 200)
        self.client.post("/accounts/logout/")
        response = self.client.get("/dashboard/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_an_expired_session_in_the_database_logs_out(self) -> None:
        self.login(self.teammate)
        Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
        self.assertEqual(self.client.get("/dashboard/").status_code, 302)


class AccountBackendTestCase(BaseTestCase):
    def test_it_loads_the_user_as_the_orm_does(self) -> None:
        user = AccountBackend().get_user(str(self.teammate.pk))  # the session keeps a string
        self.assertEqual(user, self.teammate)
        assert user is not None
        self.assertEqual(user.role, self.teammate.role)
        self.assertEqual(user.email, self.teammate.email)

    def test_unknown_malformed_and_inactive_users_are_none(self) -> None:
        self.assertIsNone(AccountBackend().get_user(10**12))
        self.assertIsNone(AccountBackend().get_user("not-a-number"))
        self.teammate.is_active = False
        self.teammate.save(update_fields=["is_active"])
        self.assertIsNone(AccountBackend().get_user(self.teammate.pk))

    def test_a_deactivated_user_is_logged_out_on_the_next_request(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get("/dashboard/").status_code, 200)
        type(self.teammate).objects.filter(pk=self.teammate.pk).update(is_active=False)
        self.assertEqual(self.client.get("/dashboard/").status_code, 302)

    def test_a_password_change_elsewhere_logs_the_session_out(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get("/dashboard/").status_code, 200)
        self.teammate.set_password("a-completely-new-passphrase-42")
        self.teammate.save(update_fields=["password"])
        self.assertEqual(self.client.get("/dashboard/").status_code, 302)
