"""axe-core over the people pages in a real browser: list, contact sheet, segments, imports
and duplicates carry no serious or critical accessibility violation."""

from __future__ import annotations

import pytest

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import axe_violations, browser_login
from maillage.people.models import DuplicateCandidate
from maillage.people.services.segments import segment_create
from maillage.people.tests.helpers import make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_people_pages_have_no_serious_accessibility_violation(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    staff = UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    first = make_person(birth_name="MARTIN", first_names="Anne", birth_year=1960)
    second = make_person(birth_name="MARTIN", first_names="Ane", birth_year=1960)
    DuplicateCandidate.objects.create(first=first, second=second, score=90)
    segment = segment_create(
        actor=staff,
        name="Anciens",
        definition={"op": "and", "filters": [{"field": "age", "min": 60}]},
    )
    page = desktop_page
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    violations: list[str] = []
    for path in (
        "/people/",
        f"/people/{first.pk}/",
        "/people/segments/",
        "/people/segments/new/",
        f"/people/segments/{segment.pk}/",
        "/people/imports/",
        "/people/duplicates/",
        f"/people/duplicates/{DuplicateCandidate.objects.get().pk}/",
    ):
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1, path
        violations += axe_violations(page)
    assert not violations, "\n".join(violations)
