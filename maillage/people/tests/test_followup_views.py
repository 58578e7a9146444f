"""The staff pages of the ledger: the questions inbox (answer, email), the follow-up rules,
the conflicts list and the persuasion dashboard (query counts pinned)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from maillage.accounts.tests.factories import UserFactory
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import ContactPolicy, EmailAddress, Interaction
from maillage.people.services import ContactAttempt, contact_attempt_record
from maillage.people.services.suppression import Kind, Scope, suppression_add
from maillage.people.tests.helpers import assign, at, make_person
from maillage.people.tests.test_persuasion import PersuasionFixture


def ask(actor, person, question: str, when: str = "2026-05-01T10:00", **fields) -> Interaction:  # type: ignore[no-untyped-def]
    return contact_attempt_record(
        actor=actor,
        attempt=ContactAttempt(
            person_id=person.pk,
            channel="door",
            result="talked",
            client_uuid=uuid.uuid4(),
            occurred_at=at(when),
            question=question,
            **fields,
        ),
    ).interaction


class QuestionInboxTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.person = make_person(first_names="Inès")
        EmailAddress.objects.create(person=self.person, address="ines@example.org", is_primary=True)
        assign([self.person], users=[self.teammate])
        self.item = ask(self.teammate, self.person, "Où voter ?", source_kind="turf", source_id=3)

    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get(reverse("people:question_list")).status_code, 403)
        self.assertEqual(
            self.client.get(reverse("people:question_detail", args=[self.item.pk])).status_code,
            403,
        )

    def test_the_inbox_lists_open_questions_in_constant_queries(self) -> None:
        for n in range(5):
            ask(self.owner, make_person(), f"Question {n}", when=f"2026-05-0{n + 2}T10:00")
        self.login(self.owner)
        # session with its user, count for the paginator, the page (person, actor, answerer joined)
        with self.assertNumQueries(3):
            response = self.client.get(reverse("people:question_list"))
        self.assertContains(response, "Où voter ?")
        self.assertContains(response, "secteur #3")
        self.assertContains(response, "Théo Teammate")
        answered = self.client.get(reverse("people:question_list") + "?status=answered")
        self.assertNotContains(answered, "Où voter ?")

    def test_an_answer_without_email_closes_the_question(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("people:question_detail", args=[self.item.pk]),
            {"answer": "À l'école Jules-Ferry."},
        )
        self.assertRedirects(response, reverse("people:question_list"))
        self.item.refresh_from_db()
        self.assertEqual(
            (self.item.question_status, self.item.question_answer, self.item.question_answered_by),
            ("answered", "À l'école Jules-Ferry.", self.owner),
        )
        self.assertTrue(
            AuditLogEntry.objects.filter(
                action="update", changes__question_answered=self.item.pk
            ).exists()
        )

    def test_the_answer_page_is_audit_logged_as_a_view_of_person_data(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("people:question_detail", args=[self.item.pk]))
        self.assertContains(response, "ines@example.org")
        self.assertTrue(
            AuditLogEntry.objects.filter(action="view", target_id=str(self.person.pk)).exists()
        )

    def test_no_email_to_a_suppressed_address(self) -> None:
        suppression_add(kind=Kind.EMAIL, value="ines@example.org", scope=Scope.EMAIL)
        self.login(self.owner)
        response = self.client.post(
            reverse("people:question_detail", args=[self.item.pk]),
            {"answer": "Oui.", "send_email": "on"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "adresse e-mail utilisable", status_code=400)
        self.item.refresh_from_db()
        self.assertEqual(self.item.question_status, "open")


@pytest.mark.django_db
def test_the_answer_goes_back_by_email(
    client, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    staff = UserFactory(email="staff@example.org", full_name="Sam Staff", role=Role.STAFF)
    person = make_person(first_names="Inès")
    EmailAddress.objects.create(person=person, address="ines@example.org", is_primary=True)
    item = ask(staff, person, "Où voter ?")
    client.force_login(staff, backend="maillage.accounts.backends.AccountBackend")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("people:question_detail", args=[item.pk]),
            {"answer": "À l'école Jules-Ferry.", "send_email": "on"},
        )
    assert response.status_code == 302
    assert [tos for _from, tos in smtp_server.envelopes] == [["ines@example.org"]]
    body = smtp_server.messages[0].get_payload(decode=True).decode()
    assert "Où voter ?" in body and "À l'école Jules-Ferry." in body and "Sam Staff" in body
    item.refresh_from_db()
    assert item.question_status == "answered"
    assert AuditLogEntry.objects.filter(changes__emailed=True).count() == 1


class PolicyAndConflictsTestCase(BaseTestCase):
    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        for name in ("people:contact_policy", "people:conflict_list", "people:persuasion"):
            self.assertEqual(self.client.get(reverse(name)).status_code, 403)

    def test_staff_edit_the_rules(self) -> None:
        self.login(self.owner)
        self.assertContains(self.client.get(reverse("people:contact_policy")), "Plafond")
        data = {
            "revisit_levels": ["3"],
            "inform_levels": ["1", "2"],
            "no_contact_levels": ["4", "5"],
            "not_home_retries": "2",
            "cap_attempts": "4",
            "cap_days": "10",
            "conflict_minutes": "15",
        }
        response = self.client.post(reverse("people:contact_policy"), data)
        self.assertRedirects(response, reverse("people:contact_policy"))
        policy = ContactPolicy.objects.get(pk=1)
        self.assertEqual(
            (policy.revisit_levels, policy.no_contact_levels, policy.cap_attempts, policy.cap_days),
            ([3], [4, 5], 4, 10),
        )
        self.assertTrue(AuditLogEntry.objects.filter(target_type="people.contactpolicy").exists())
        clash = {**data, "revisit_levels": ["3", "5"]}
        response = self.client.post(reverse("people:contact_policy"), clash)
        self.assertContains(response, "que dans une liste", status_code=400)

    def test_conflicts_are_listed_and_cleared(self) -> None:
        person = make_person(first_names="Zoé")
        assign([person], users=[self.teammate])
        ask(self.owner, person, "", when="2026-05-01T18:00")
        older = ask(self.teammate, person, "", when="2026-05-01T10:00")
        self.login(self.owner)
        # session with its user, paginator count, the page
        with self.assertNumQueries(3):
            response = self.client.get(reverse("people:conflict_list"))
        self.assertContains(response, f'value="{older.pk}"')
        response = self.client.post(reverse("people:conflict_clear"), {"interaction": [older.pk]})
        self.assertRedirects(response, reverse("people:conflict_list"))
        self.assertFalse(Interaction.objects.filter(needs_review=True).exists())


class PersuasionPageTestCase(PersuasionFixture):
    def test_the_page_shows_the_figures_in_constant_queries(self) -> None:
        self.login(self.owner)
        # session with its user, distribution now, the ordered history, doors per hour, actor names
        with self.assertNumQueries(5):
            response = self.client.get(reverse("people:persuasion"))
        self.assertContains(response, "Contacts par bascule")
        content = response.content.decode()
        self.assertIn("2,0", content.split('data-testid="contacts-per-flip"')[1][:400])
        self.assertContains(response, "13055_0002")
        self.assertContains(response, "secteur #9")
        self.assertNotIn('style="', content)
        # Again: the history pass is cached (the distribution now and doors per hour are not).
        with self.assertNumQueries(4):
            again = self.client.get(reverse("people:persuasion"))
        self.assertEqual(again.context["overall"].flips, 3)
