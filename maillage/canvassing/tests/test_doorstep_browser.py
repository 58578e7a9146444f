"""The issue's Done-when, on a phone (390×844, Debian's Chromium): a volunteer opens their turf,
downloads it, goes offline, records five results (one with a question for staff, one with a new
phone and consent), comes back online; the outbox syncs, and staff find the five results, the
question in their inbox and the follow-up lists updated. Tapping submit twice makes one result."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.canvassing.tests.doorstep_helpers import make_turf
from maillage.core.roles import Role
from maillage.core.tests.browser import ConsoleWatch, assert_accessible, browser_login, screenshot
from maillage.people.models import Consent, Interaction, Person, PhoneNumber
from maillage.people.selectors import followup_q
from maillage.people.tests.helpers import make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _people() -> list[Person]:
    rows = [
        ("MARTIN", "Alice", "12", "A"),
        ("MARTIN", "Bernard", "12", "A"),
        ("DUPONT", "Chloé", "14", "B"),
        ("DUPONT", "Denis", "14", "B"),
        ("LEROY", "Emma", "16", "C"),
        ("GARCIA", "Farid", "18", "D"),
    ]
    return [
        make_person(
            birth_name=name,
            first_names=first,
            address_number=number,
            address_street="rue des Lilas",
            commune_name="Marseille",
        )
        for name, first, number, _key in rows
    ]


def _wait_for(condition, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _record(page, name: str, result: str, *, support: str = "", fill=None) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=re.compile(name)).click()
    form = page.locator("#ds-form")
    form.get_by_text(result, exact=True).click()
    if support:
        form.get_by_text(support, exact=True).click()
    if fill:
        fill(form)
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#ds-household")).to_be_visible()


def test_offline_canvassing_syncs_once_and_reaches_staff(page, live_server) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="sara@example.org", full_name="Sara Staff", role=Role.STAFF)
    volunteer = UserFactory(email="vic@example.org", full_name="Vic Bénévole", role=Role.VOLUNTEER)
    people = _people()
    turf = make_turf(people, users=[volunteer], name="Les Lilas")
    watch = ConsoleWatch(page)

    browser_login(page, live_server, "vic@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/canvassing/doorstep/")
    page.get_by_role("link", name=re.compile("Les Lilas")).click()
    app = page.get_by_test_id("doorstep")
    expect(app).to_have_attribute("data-ready", "1")
    page.get_by_role("button", name="Télécharger ce secteur").click()
    expect(app).to_have_attribute("data-offline-ready", "1")
    expect(page.get_by_test_id("downloaded")).to_contain_text("Secteur téléchargé")
    assert_accessible(page)

    page.context.set_offline(True)
    # With no network the page still opens: the service worker keeps it, IndexedDB the turf.
    page.reload()
    expect(app).to_have_attribute("data-ready", "1")
    expect(page.locator("#ds-network")).to_contain_text("Hors ligne")

    page.get_by_role("button", name="Porte suivante").click()
    expect(page.locator("#ds-household-address")).to_contain_text("12 rue des Lilas")
    _record(page, "MARTIN Alice", "Conversation", support="Indécis")
    _record(page, "MARTIN Bernard", "Absent")
    page.get_by_role("button", name="Toutes les portes").click()
    page.get_by_role("button", name="Porte suivante").click()
    _record(
        page,
        "DUPONT Chloé",
        "Conversation",
        support="Pour",
        fill=lambda form: form.get_by_label("Question pour l’équipe de campagne").fill(
            "Quand ouvre la nouvelle crèche ?"
        ),
    )

    def new_phone(form):  # type: ignore[no-untyped-def]
        form.get_by_label("Nouveau téléphone (ou corrigé)").fill("06 12 34 56 78")
        expect(form.locator("#ds-phone-consent .ds-wording")).to_contain_text("J’accepte")
        form.get_by_label("La personne accepte (téléphone et SMS)").check()
        screenshot(page, "doorstep-form")
        assert_accessible(page)

    _record(page, "DUPONT Denis", "Conversation", support="Indécis", fill=new_phone)
    page.get_by_role("button", name="Toutes les portes").click()
    page.get_by_role("button", name="Porte suivante").click()
    _record(page, "LEROY Emma", "Refus")
    page.get_by_role("button", name="Toutes les portes").click()
    expect(page.get_by_test_id("outbox-count")).to_have_attribute("data-count", "5")
    expect(page.get_by_test_id("outbox-count")).to_contain_text("5 résultats attendent")
    screenshot(page, "doorstep-app")
    assert Interaction.objects.count() == 0  # nothing reached the server while offline

    page.context.set_offline(False)
    expect(page.get_by_test_id("outbox-count")).to_have_attribute("data-count", "0", timeout=20_000)
    expect(page.get_by_test_id("outbox-count")).to_contain_text("Tous les résultats sont envoyés")

    results = Interaction.objects.filter(source_kind="turf", source_id=turf.pk)
    assert results.count() == 5
    assert sorted(results.values_list("result", flat=True)) == sorted(
        ["talked", "not_home", "talked", "talked", "refused"]
    )
    alice, bernard, chloe, denis, emma, farid = people
    question = results.get(person=chloe)
    assert (question.question, question.question_status) == (
        "Quand ouvre la nouvelle crèche ?",
        "open",
    )
    assert PhoneNumber.objects.filter(person=denis).exists()
    consent = Consent.objects.filter(person=denis, channel="phone").latest("recorded_at")
    assert consent.granted and "J’accepte" in consent.wording
    # The follow-up lists moved: the undecided are to revisit, the one with a phone to call.
    revisit = set(Person.objects.filter(followup_q("revisit")).values_list("pk", flat=True))
    assert {alice.pk, denis.pk} <= revisit and chloe.pk not in revisit
    assert denis.pk in set(
        Person.objects.filter(followup_q("phone_pool")).values_list("pk", flat=True)
    )

    # Double tap: the button disables on the first tap; the UUID made when the form opened
    # would make a second send harmless anyway.
    page.get_by_role("button", name=re.compile("18 rue des Lilas")).click()
    page.get_by_role("button", name=re.compile("GARCIA Farid")).click()
    page.locator("#ds-form").get_by_text("Absent", exact=True).click()
    page.locator("#ds-submit").dblclick()
    expect(page.get_by_role("button", name=re.compile("GARCIA Farid"))).to_contain_text("Noté")
    _wait_for(lambda: Interaction.objects.filter(person=farid).exists())
    expect(page.get_by_test_id("outbox-count")).to_have_attribute("data-count", "0")
    page.wait_for_timeout(1000)  # a second send, had there been one, would have landed by now
    assert Interaction.objects.filter(person=farid).count() == 1

    # Staff: the five results on the sheets, the question in the inbox.
    page.context.clear_cookies()
    browser_login(page, live_server, "sara@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/questions/")
    expect(page.locator("main")).to_contain_text("Quand ouvre la nouvelle crèche ?")
    page.goto(f"{live_server.url}/people/{denis.pk}/")
    expect(page.locator("main")).to_contain_text("+33612345678")
    assert not watch.problems, watch.problems


def test_the_team_leader_watches_progress_live(desktop_page, live_server) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from maillage.accounts.tests.factories import TeamFactory
    from maillage.people.services import ContactAttempt, contact_attempt_record

    team = TeamFactory(name="Équipe des Lilas")
    leader = UserFactory(email="lea@example.org", full_name="Léa Cheffe", role=Role.TEAM_LEADER)
    vic = UserFactory(email="vic@example.org", full_name="Vic Bénévole", role=Role.VOLUNTEER)
    sam = UserFactory(email="sam@example.org", full_name="Sam Militant", role=Role.VOLUNTEER)
    for user in (leader, vic, sam):
        user.teams.add(team)
    people = _people()
    turf = make_turf(people[:4], teams=[team], name="Les Lilas")
    other = make_turf(people[4:], teams=[team], name="Les Roses")

    def record(actor, person, turf, result, level=None) -> None:  # type: ignore[no-untyped-def]
        contact_attempt_record(
            actor=actor,
            attempt=ContactAttempt(
                person_id=person.pk,
                channel="door",
                result=result,
                client_uuid=uuid.uuid4(),
                support_level=level,
                source_kind="turf",
                source_id=turf.pk,
            ),
        )

    record(vic, people[0], turf, "talked", 3)
    record(vic, people[1], turf, "not_home")
    record(sam, people[2], turf, "talked", 1)
    record(sam, people[4], other, "refused")
    page = desktop_page
    watch = ConsoleWatch(page)
    browser_login(page, live_server, "lea@example.org", DEFAULT_PASSWORD)
    watch.visit(f"{live_server.url}/canvassing/doorstep/progress/")
    expect(page.get_by_test_id("total-doors")).to_have_text("3")
    expect(page.get_by_test_id("total-contacts")).to_have_text("2")
    lilas = page.get_by_test_id("turf-progress").filter(has_text="Les Lilas")
    expect(lilas.locator("tbody tr").filter(has_text="Vic Bénévole")).to_contain_text("1")
    screenshot(page, "doorstep-progress")
    assert_accessible(page)
    # A result comes in: htmx polls and the figures move, with no reload.
    record(sam, people[3], turf, "talked", 2)
    expect(page.get_by_test_id("total-contacts")).to_have_text("3", timeout=20_000)
    assert not watch.problems, watch.problems
