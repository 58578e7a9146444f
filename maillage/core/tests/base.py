"""The test base every app uses: an owner (staff), a teammate (volunteer in the owner's team)
and an outsider (volunteer in another team), with helpers to log in and pin query counts.

It stays in core, where every app's tests already import it, though it builds accounts' users:
the import contracts leave test modules out (`maillage.*.tests.**`), as tests may build rows
from any app; what ships keeps the layering."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from maillage.accounts.tests.factories import (
    DEFAULT_PASSWORD,
    TeamFactory,
    UserFactory,
    ZoneFactory,
)
from maillage.core.roles import Role


class BaseTestCase(TestCase):
    password = DEFAULT_PASSWORD

    @classmethod
    def setUpTestData(cls) -> None:
        cls.zone = ZoneFactory(name="Marseille")
        cls.other_zone = ZoneFactory(name="Lyon")
        cls.team = TeamFactory(name="Équipe du 3e", zone=cls.zone)
        cls.other_team = TeamFactory(name="Équipe de Lyon", zone=cls.other_zone)
        cls.owner = UserFactory(
            email="owner@example.org", full_name="Olivia Owner", role=Role.STAFF
        )
        cls.teammate = UserFactory(
            email="teammate@example.org", full_name="Théo Teammate", role=Role.VOLUNTEER
        )
        cls.outsider = UserFactory(
            email="outsider@example.org", full_name="Oscar Outsider", role=Role.VOLUNTEER
        )
        cls.admin = UserFactory(email="admin@example.org", full_name="Ada Admin", role=Role.ADMIN)
        cls.owner.teams.add(cls.team)
        cls.teammate.teams.add(cls.team)
        cls.teammate.zones.add(cls.zone)
        cls.outsider.teams.add(cls.other_team)
        cls.outsider.zones.add(cls.other_zone)

    def login(self, user) -> None:  # type: ignore[no-untyped-def]
        self.client.force_login(user, backend="maillage.accounts.backends.AccountBackend")

    def login_with_2fa(self, user) -> None:  # type: ignore[no-untyped-def]
        """Log in as if the user had also typed a TOTP code (a confirmed device, verified in
        the session the way django_otp.login does)."""
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        self.login(user)
        session = self.client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session["maillage_totp_required"] = True
        session.save()

    @contextmanager
    def assertMaxQueries(self, maximum: int) -> Iterator[CaptureQueriesContext]:
        """Like assertNumQueries, but for paths whose count may go down; prints the SQL when over."""
        with CaptureQueriesContext(connection) as context:
            yield context
        executed = len(context.captured_queries)
        if executed > maximum:
            queries = "\n".join(
                f"{i}. {q['sql']}" for i, q in enumerate(context.captured_queries, 1)
            )
            self.fail(f"{executed} queries executed, at most {maximum} expected:\n{queries}")
