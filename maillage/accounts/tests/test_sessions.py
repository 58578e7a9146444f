"""The session engine reads the session row and its user in one compiled query, and the
password backend uses that user within the same request only (accounts.sessions,
accounts.backends, #17): the same rules as Django's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from importlib import import_module
from unittest import mock

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.models import Session as DjangoSession
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import path
from django.utils import timezone

from config import urls as project_urls
from maillage.accounts import sessions
from maillage.accounts.backends import AccountBackend
from maillage.accounts.models import Session
from maillage.accounts.sessions.db import SessionStore
from maillage.core.tests.base import BaseTestCase


def whoami(request: HttpRequest) -> HttpResponse:
    """A page with no query of its own, outside the page shell: what authentication costs."""
    return HttpResponse(request.user.get_username() if request.user.is_authenticated else "-")


def whatami(request: HttpRequest) -> HttpResponse:
    """What a view finds in `request.user`: its class, and django-otp's verdict on it."""
    return HttpResponse(f"{type(request.user).__name__} {request.user.is_verified()}")


urlpatterns = [path("whoami/", whoami), path("whatami/", whatami), *project_urls.urlpatterns]


@contextmanager
def a_request() -> Iterator[None]:
    """The start and end of a request, as the WSGI handler signals them; without closing the
    test's connection (the test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        yield
    finally:
        request_finished.send(sender=None)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class CompiledSessionTestCase(BaseTestCase):
    def _open(self, user) -> SessionStore:  # type: ignore[no-untyped-def]
        self.login(user)
        return SessionStore(self.client.cookies[settings.SESSION_COOKIE_NAME].value)

    def test_the_engine_is_ours_and_keeps_its_rows_in_our_table(self) -> None:
        self.assertTrue(settings.SESSION_ENGINE.startswith("maillage.accounts.sessions."))
        engine = import_module(settings.SESSION_ENGINE).SessionStore
        self.assertIs(engine.get_model_class(), Session)
        self.assertIs(Session.get_session_store_class(), SessionStore)

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

    def test_the_row_names_the_user_signed_in_and_an_anonymous_row_none(self) -> None:
        anonymous = SessionStore()
        anonymous["answer"] = 42
        anonymous.save()
        self.assertIsNone(Session.objects.get(pk=anonymous.session_key).user_id)
        store = self._open(self.teammate)
        self.assertEqual(Session.objects.get(pk=store.session_key).user_id, self.teammate.pk)

    def test_cycle_key_keeps_the_user_on_the_new_row(self) -> None:
        store = self._open(self.teammate)
        old_key = store.session_key
        store.load()
        store.cycle_key()
        self.assertFalse(Session.objects.filter(pk=old_key).exists())
        self.assertEqual(Session.objects.get(pk=store.session_key).user_id, self.teammate.pk)

    def test_a_deleted_users_sessions_go(self) -> None:
        store = self._open(self.outsider)
        self.outsider.delete()
        self.assertFalse(Session.objects.filter(pk=store.session_key).exists())

    def test_a_logged_in_page_works_and_logout_ends_the_session(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get("/dashboard/").status_code, 200)
        self.client.post("/accounts/logout/")
        self.assertFalse(Session.objects.filter(user=self.teammate).exists())
        response = self.client.get("/dashboard/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_signing_in_on_an_anonymous_session_names_the_user(self) -> None:
        self.client.get("/accounts/login/")  # an anonymous session may exist already
        response = self.client.post(
            "/accounts/login/", {"username": self.teammate.email, "password": self.password}
        )
        self.assertEqual(response.status_code, 302)
        key = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.assertEqual(Session.objects.get(pk=key).user_id, self.teammate.pk)
        self.assertEqual(self.client.get("/dashboard/").status_code, 200)

    def test_an_expired_session_in_the_database_logs_out(self) -> None:
        self.login(self.teammate)
        Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
        self.assertEqual(self.client.get("/dashboard/").status_code, 302)


class SessionDecodeTestCase(BaseTestCase):
    """`decode` checks a session string's signature once per process, and answers what Django's
    decode answers (accounts.sessions._verified_payload)."""

    def setUp(self) -> None:
        super().setUp()
        # Encoded in the same second, the same data is the same string: checked afresh here.
        sessions._verified.clear()

    def _encoded(self, data: dict[str, object]) -> str:
        return SessionStore().encode(data)

    def test_it_answers_what_djangos_decode_answers(self) -> None:
        encoded = self._encoded({"answer": 42, "nested": {"list": [1, 2]}})
        django_store = django_db.SessionStore()
        for _ in range(2):  # checked, then remembered
            self.assertEqual(SessionStore().decode(encoded), django_store.decode(encoded))
        tampered = encoded[:-1] + ("A" if encoded[-1] != "A" else "B")
        with self.assertLogs("django.security.SuspiciousSession", "WARNING"):
            self.assertEqual(SessionStore().decode(tampered), {})
        self.assertEqual(SessionStore().decode("not a session"), {})

    def test_the_signature_is_checked_once_per_string_and_key(self) -> None:
        encoded = self._encoded({"answer": 42})
        with mock.patch.object(sessions.signing, "loads", wraps=sessions.signing.loads) as loads:
            SessionStore().decode(encoded)
            SessionStore().decode(encoded)
            self.assertEqual(loads.call_count, 1)
            # Signed with the old key: Django's decode refuses it, and so does ours.
            with (
                override_settings(SECRET_KEY="another-secret-key-" + "y" * 40),
                self.assertLogs("django.security.SuspiciousSession", "WARNING"),
            ):
                self.assertEqual(SessionStore().decode(encoded), {})
            self.assertEqual(loads.call_count, 3)  # ours, then Django's fallback that logs

    def test_a_changed_value_never_reaches_the_next_reader(self) -> None:
        encoded = self._encoded({"nested": {"list": [1, 2]}})
        first = SessionStore().decode(encoded)
        first["nested"]["list"].append(3)
        first["added"] = True
        self.assertEqual(SessionStore().decode(encoded), {"nested": {"list": [1, 2]}})


@override_settings(ROOT_URLCONF="maillage.accounts.tests.test_sessions")
class SessionWithUserTestCase(BaseTestCase):
    """One query for the session and its user; that user for that request and id only."""

    def _open(self, user) -> SessionStore:  # type: ignore[no-untyped-def]
        self.login(user)
        return SessionStore(self.client.cookies[settings.SESSION_COOKIE_NAME].value)

    def test_an_authenticated_request_reads_its_session_and_user_in_one_query(self) -> None:
        self.login(self.teammate)
        with self.assertNumQueries(1):  # the session row LEFT JOIN its user row
            response = self.client.get("/whoami/")
        self.assertEqual(response.content.decode(), self.teammate.email)

    def test_djangos_get_user_reads_once_and_checks_as_before(self) -> None:
        store = self._open(self.teammate)
        request = RequestFactory().get("/")
        request.session = store
        with a_request(), self.assertNumQueries(1):
            user = get_user(request)  # backend path, session hash, is_active: Django's own
        self.assertEqual(user, self.teammate)

    def test_the_user_read_with_the_session_serves_its_own_id_once(self) -> None:
        store = self._open(self.teammate)
        with a_request():
            with self.assertNumQueries(1):
                data = store.load()
                user = AccountBackend().get_user(data[SESSION_KEY])
            self.assertEqual(user, self.teammate)
            with self.assertNumQueries(1):  # taken already: read again
                self.assertEqual(AccountBackend().get_user(self.teammate.pk), self.teammate)

    def test_another_id_in_the_same_request_reads_the_database(self) -> None:
        store = self._open(self.teammate)
        with a_request():
            store.load()
            with self.assertNumQueries(1):
                self.assertEqual(AccountBackend().get_user(self.owner.pk), self.owner)
            with self.assertNumQueries(1):  # the mismatch took it: no stale hand-out later
                self.assertEqual(AccountBackend().get_user(self.teammate.pk), self.teammate)

    def test_the_next_request_on_the_same_thread_reads_the_database(self) -> None:
        store = self._open(self.teammate)
        with a_request():
            store.load()  # read with its user, which nobody asks for
        type(self.teammate).objects.filter(pk=self.teammate.pk).update(is_active=False)
        with a_request(), self.assertNumQueries(1):
            self.assertIsNone(AccountBackend().get_user(self.teammate.pk))

    def test_outside_a_request_the_backend_reads_the_database(self) -> None:
        store = self._open(self.teammate)
        store.load()
        with self.assertNumQueries(1):
            self.assertEqual(AccountBackend().get_user(self.teammate.pk), self.teammate)

    def test_views_get_the_user_itself_with_its_second_factor_verdict(self) -> None:
        # Not the lazy proxies of the authentication and OTP middlewares: the user, or the
        # anonymous user, with django-otp's `is_verified` still on it.
        self.assertEqual(self.client.get("/whatami/").content.decode(), "AnonymousUser False")
        self.login(self.teammate)
        self.assertEqual(self.client.get("/whatami/").content.decode(), "User False")

    def test_two_sessions_in_turn_each_get_their_own_user(self) -> None:
        other = self.client_class()
        other.force_login(self.owner, backend="maillage.accounts.backends.AccountBackend")
        self.login(self.teammate)
        for _turn in range(2):
            self.assertEqual(self.client.get("/whoami/").content.decode(), self.teammate.email)
            self.assertEqual(other.get("/whoami/").content.decode(), self.owner.email)

    def test_a_row_without_its_user_still_signs_in_with_a_second_query(self) -> None:
        # A row copied without a user (data that did not decode), or saved by an older release.
        store = self._open(self.teammate)
        Session.objects.filter(pk=store.session_key).update(user=None)
        with self.assertNumQueries(2):  # the session, then the user by its id
            response = self.client.get("/whoami/")
        self.assertEqual(response.content.decode(), self.teammate.email)

    def test_an_expired_session_is_anonymous_without_reading_the_user(self) -> None:
        self.login(self.teammate)
        Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
        with self.assertNumQueries(1):
            self.assertEqual(self.client.get("/whoami/").content.decode(), "-")

    def test_a_deactivated_user_is_logged_out_on_the_next_request(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get("/whoami/").content.decode(), self.teammate.email)
        type(self.teammate).objects.filter(pk=self.teammate.pk).update(is_active=False)
        self.assertEqual(self.client.get("/whoami/").content.decode(), "-")

    def test_a_password_change_elsewhere_logs_the_session_out(self) -> None:
        store = self._open(self.teammate)
        self.assertEqual(self.client.get("/whoami/").content.decode(), self.teammate.email)
        self.teammate.set_password("a-completely-new-passphrase-42")
        self.teammate.save(update_fields=["password"])
        self.assertEqual(self.client.get("/whoami/").content.decode(), "-")
        self.assertFalse(Session.objects.filter(pk=store.session_key).exists())  # flushed

    def test_a_second_factor_change_elsewhere_logs_the_session_out(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get("/whoami/").content.decode(), self.teammate.email)
        type(self.teammate).objects.filter(pk=self.teammate.pk).update(session_generation=1)
        self.assertEqual(self.client.get("/whoami/").content.decode(), "-")


class SessionMigrationTestCase(BaseTestCase):
    def test_open_sessions_are_copied_with_their_user_and_the_old_rows_deleted(self) -> None:
        migration = import_module("maillage.accounts.migrations.0003_sessions_with_user")
        signed_in = django_db.SessionStore()
        signed_in[SESSION_KEY] = str(self.teammate.pk)
        signed_in.save()
        anonymous = django_db.SessionStore()
        anonymous["answer"] = 42
        anonymous.save()
        expired = django_db.SessionStore()
        expired.set_expiry(-60)
        expired.save()

        migration.copy_open_sessions(apps, None)

        self.assertFalse(DjangoSession.objects.exists())
        copied = dict(Session.objects.values_list("session_key", "user_id"))
        self.assertEqual(
            copied, {signed_in.session_key: self.teammate.pk, anonymous.session_key: None}
        )
        self.assertEqual(
            SessionStore(signed_in.session_key).load()[SESSION_KEY], str(self.teammate.pk)
        )


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
