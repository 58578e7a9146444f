"""The demo logins: one per role, loaded by core's `load_demo` through `accounts/demo.py`."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from maillage.accounts import demo
from maillage.accounts.models import User

pytestmark = pytest.mark.django_db


def test_load_demo_finds_the_accounts_demo_and_is_idempotent(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Only accounts' builder runs here; the other apps' demos have their own tests.
    monkeypatch.setattr("maillage.people.demo.load_demo", lambda **kwargs: None)
    monkeypatch.setattr("maillage.elections.demo.load_demo", lambda **kwargs: None)
    monkeypatch.setattr("maillage.canvassing.demo.load_demo", lambda **kwargs: None)
    call_command("load_demo", "--small", stdout=io.StringIO())
    call_command("load_demo", "--small", stdout=io.StringIO())
    emails = set(User.objects.values_list("email", flat=True))
    assert emails == {email for email, _name, _role in demo.DEMO_ACCOUNTS}


def test_demo_logins_prints_one_login_per_role() -> None:
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    for email, _name, role in demo.DEMO_ACCOUNTS:
        assert email in out.getvalue()
        assert str(role.label) in out.getvalue()
    assert demo.DEMO_PASSWORD in out.getvalue()
