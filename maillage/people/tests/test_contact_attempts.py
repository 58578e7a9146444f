"""The contact-attempt ledger: idempotency, scope, conflicts, consent capture, "sent" in sets."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from maillage.core.errors import ApplicationError, NotFound
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Consent, EmailAddress, Interaction, PhoneNumber
from maillage.people.services import (
    ContactAttempt,
    contact_attempt_record,
    contact_attempts_record_sent,
)
from maillage.people.services.contact_attempts import interaction_review_clear
from maillage.people.services.suppression import Kind, Scope, suppression_add
from maillage.people.tests.helpers import assign, at, make_person


def attempt(person_id: int, **fields) -> ContactAttempt:  # type: ignore[no-untyped-def]
    defaults = {
        "channel": "door",
        "result": "talked",
        "client_uuid": uuid.uuid4(),
        "occurred_at": at("2026-05-01T10:00"),
    }
    return ContactAttempt(person_id=person_id, **{**defaults, **fields})


class ContactAttemptTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.person = make_person()
        assign([self.person], users=[self.teammate])

    def test_the_same_client_uuid_records_one_attempt(self) -> None:
        key = uuid.uuid4()
        first = contact_attempt_record(
            actor=self.teammate, attempt=attempt(self.person.pk, client_uuid=key, support_level=3)
        )
        again = contact_attempt_record(
            actor=self.teammate, attempt=attempt(self.person.pk, client_uuid=key, support_level=1)
        )
        self.assertTrue(first.created)
        self.assertFalse(again.created)
        self.assertEqual(first.interaction.pk, again.interaction.pk)
        self.assertEqual(Interaction.objects.count(), 1)
        self.person.refresh_from_db()
        self.assertEqual(self.person.current_support, 3)

    def test_it_refuses_a_person_outside_the_actors_scope(self) -> None:
        with self.assertRaises(NotFound):
            contact_attempt_record(actor=self.outsider, attempt=attempt(self.person.pk))
        self.assertFalse(Interaction.objects.exists())

    def test_it_keeps_source_and_opens_a_question_for_staff(self) -> None:
        outcome = contact_attempt_record(
            actor=self.teammate,
            attempt=attempt(
                self.person.pk,
                question="  Quand passe le bus de nuit ?  ",
                source_kind="turf",
                source_id=7,
            ),
        )
        row = outcome.interaction
        self.assertEqual((row.source_kind, row.source_id), ("turf", 7))
        self.assertEqual(row.question, "Quand passe le bus de nuit ?")
        self.assertEqual(row.question_status, "open")

    def test_it_rejects_unknown_codes_and_naive_dates(self) -> None:
        with self.assertRaises(ApplicationError):
            contact_attempt_record(actor=self.teammate, attempt=attempt(self.person.pk, result="x"))
        with self.assertRaises(ApplicationError):
            contact_attempt_record(
                actor=self.teammate,
                attempt=attempt(
                    self.person.pk, occurred_at=at("2026-05-01T10:00").replace(tzinfo=None)
                ),
            )
        self.assertFalse(Interaction.objects.exists())

    def test_a_date_in_the_future_is_brought_back_to_now(self) -> None:
        outcome = contact_attempt_record(
            actor=self.teammate,
            attempt=attempt(self.person.pk, occurred_at=timezone.now() + timedelta(days=2)),
        )
        self.assertLessEqual(outcome.interaction.occurred_at, timezone.now())

    def test_new_contact_details_carry_the_consent_and_its_wording(self) -> None:
        wording = "J'accepte d'être recontacté·e par la campagne par e-mail, SMS et téléphone."
        contact_attempt_record(
            actor=self.teammate,
            attempt=attempt(
                self.person.pk,
                new_email="Camille@Example.org",
                email_consent=True,
                new_phone="06 12 34 56 78",
                phone_consent=True,
                consent_wording=wording,
            ),
        )
        self.person.refresh_from_db()
        self.assertEqual(
            (self.person.consent_email, self.person.consent_phone, self.person.consent_sms),
            (True, True, True),
        )
        self.assertTrue(EmailAddress.objects.filter(address="camille@example.org").exists())
        self.assertTrue(PhoneNumber.objects.filter(number="+33612345678").exists())
        self.assertEqual(set(Consent.objects.values_list("wording", flat=True)), {wording})

    def test_a_consent_without_its_wording_is_refused_whole(self) -> None:
        with self.assertRaises(ApplicationError):
            contact_attempt_record(
                actor=self.teammate,
                attempt=attempt(self.person.pk, new_email="a@example.org", email_consent=True),
            )
        self.assertFalse(Interaction.objects.exists())
        self.assertFalse(EmailAddress.objects.exists())

    def test_a_suppressed_address_is_kept_without_consent_and_the_result_is_kept(self) -> None:
        suppression_add(kind=Kind.EMAIL, value="gone@example.org", scope=Scope.EMAIL)
        outcome = contact_attempt_record(
            actor=self.teammate,
            attempt=attempt(
                self.person.pk,
                new_email="gone@example.org",
                email_consent=True,
                consent_wording="J'accepte.",
                support_level=2,
            ),
        )
        self.assertTrue(outcome.created)
        self.person.refresh_from_db()
        self.assertIs(self.person.consent_email, False)
        self.assertEqual(self.person.current_support, 2)
        self.assertFalse(Consent.objects.filter(granted=True).exists())

    def test_do_not_contact_fills_the_ledger(self) -> None:
        PhoneNumber.objects.create(person=self.person, number="+33612345678")
        contact_attempt_record(
            actor=self.teammate,
            attempt=attempt(self.person.pk, channel="phone", result="do_not_contact"),
        )
        self.person.refresh_from_db()
        self.assertIs(self.person.consent_phone, False)


class ConflictTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.person = make_person()
        assign([self.person], users=[self.teammate, self.outsider])

    def record(self, actor, when: str, level: int, **fields):  # type: ignore[no-untyped-def]
        return contact_attempt_record(
            actor=actor,
            attempt=attempt(self.person.pk, occurred_at=at(when), support_level=level, **fields),
        )

    def test_an_offline_result_older_than_the_latest_is_kept_and_flagged(self) -> None:
        newer = self.record(self.owner, "2026-05-01T18:00", 1)
        older = self.record(self.teammate, "2026-05-01T10:00", 3)  # synced late
        self.assertFalse(newer.conflict)
        self.assertTrue(older.conflict)
        self.person.refresh_from_db()
        self.assertEqual(self.person.current_support, 1)  # the latest by occurred_at wins
        flagged = set(Interaction.objects.filter(needs_review=True).values_list("pk", flat=True))
        self.assertEqual(flagged, {older.interaction.pk})

    def test_two_actors_close_in_time_flag_the_older(self) -> None:
        first = self.record(self.teammate, "2026-05-01T10:00", 3)
        second = self.record(self.outsider, "2026-05-01T10:20", 1)
        self.assertTrue(second.conflict)
        flagged = set(Interaction.objects.filter(needs_review=True).values_list("pk", flat=True))
        self.assertEqual(flagged, {first.interaction.pk})
        self.person.refresh_from_db()
        self.assertEqual(self.person.current_support, 1)

    def test_the_same_actor_or_a_later_visit_is_no_conflict(self) -> None:
        self.record(self.teammate, "2026-05-01T10:00", 3)
        same = self.record(self.teammate, "2026-05-01T10:10", 2)
        later = self.record(self.outsider, "2026-05-03T10:00", 1)
        self.assertFalse(same.conflict or later.conflict)
        self.assertFalse(Interaction.objects.filter(needs_review=True).exists())

    def test_a_messaging_send_is_never_a_conflict(self) -> None:
        contact_attempts_record_sent(
            actor=self.owner,
            person_ids=[self.person.pk],
            channel="email",
            source_kind="email_campaign",
            source_id=1,
            occurred_at=at("2026-05-02T10:00"),
        )
        self.assertFalse(self.record(self.teammate, "2026-05-01T10:00", 3).conflict)

    def test_staff_clear_the_flag(self) -> None:
        self.record(self.owner, "2026-05-01T18:00", 1)
        older = self.record(self.teammate, "2026-05-01T10:00", 3)
        self.assertEqual(
            interaction_review_clear(actor=self.owner, interaction_ids=[older.interaction.pk]), 1
        )
        self.assertFalse(Interaction.objects.filter(needs_review=True).exists())


class RecordSentTestCase(BaseTestCase):
    def test_it_inserts_once_per_person_campaign_and_channel(self) -> None:
        people = [make_person() for _ in range(5)]
        ids = [p.pk for p in people]
        when = at("2026-05-01T10:00")
        kwargs = {
            "actor": self.owner,
            "channel": "sms",
            "source_kind": "sms_campaign",
            "source_id": 4,
        }
        # savepoint, the ids already sent, one bulk insert, the people's last contact, release
        with self.assertNumQueries(5):
            self.assertEqual(
                contact_attempts_record_sent(person_ids=ids[:3], occurred_at=when, **kwargs), 3
            )
        self.assertEqual(
            contact_attempts_record_sent(person_ids=ids, occurred_at=when, **kwargs), 2
        )
        self.assertEqual(contact_attempts_record_sent(person_ids=ids, **kwargs), 0)
        self.assertEqual(Interaction.objects.filter(result="sent").count(), 5)
        other = {**kwargs, "source_id": 5}
        self.assertEqual(contact_attempts_record_sent(person_ids=ids[:1], **other), 1)
        people[0].refresh_from_db()
        self.assertEqual(people[0].last_interaction_channel, "sms")

    def test_it_refuses_door_and_a_missing_source(self) -> None:
        with self.assertRaises(ApplicationError):
            contact_attempts_record_sent(
                actor=self.owner, person_ids=[1], channel="door", source_kind="x", source_id=1
            )
        with self.assertRaises(ApplicationError):
            contact_attempts_record_sent(
                actor=self.owner, person_ids=[1], channel="email", source_kind="", source_id=1
            )
