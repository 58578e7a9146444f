"""Follow-up lists, the contact cap (with dates) and their segment filters."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from maillage.core.tests.base import BaseTestCase
from maillage.people.models import ContactPolicy, EmailAddress, Interaction, Person, PhoneNumber
from maillage.people.segment_filters.base import SegmentError
from maillage.people.selectors import (
    contact_cap_allows,
    contact_policy,
    followup_q,
    over_contact_cap_q,
)
from maillage.people.selectors.segments import segment_queryset
from maillage.people.tests.helpers import at, make_person


def knock(person: Person, when, result: str = "talked", channel: str = "door", level=None):  # type: ignore[no-untyped-def]
    return Interaction.objects.create(
        person=person, channel=channel, result=result, occurred_at=when, support_level=level
    )


def names(queryset) -> set[str]:  # type: ignore[no-untyped-def]
    return set(queryset.values_list("birth_name", flat=True))


class FollowupTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.undecided = make_person(birth_name="UNDECIDED", current_support=3, consent_phone=True)
        PhoneNumber.objects.create(person=self.undecided, number="+33612345678")
        self.leaning_against = make_person(birth_name="LEANING", current_support=4)
        self.supporter = make_person(birth_name="FOR", current_support=1, consent_email=True)
        EmailAddress.objects.create(person=self.supporter, address="for@example.org")
        self.leaning_for = make_person(birth_name="LEANINGFOR", current_support=2)  # no email
        self.against = make_person(birth_name="AGAINST", current_support=5, consent_phone=True)
        PhoneNumber.objects.create(person=self.against, number="+33612345679")
        self.absent = make_person(birth_name="ABSENT")
        self.absent_thrice = make_person(birth_name="THRICE")
        self.absent_then_met = make_person(birth_name="MET")
        for day in (1, 2):
            knock(self.absent, at(f"2026-05-0{day}T10:00"), "not_home")
        for day in (1, 2, 3):
            knock(self.absent_thrice, at(f"2026-05-0{day}T10:00"), "not_home")
        knock(self.absent_then_met, at("2026-05-01T10:00"), "not_home")
        knock(self.absent_then_met, at("2026-05-02T10:00"), "talked", channel="phone")

    def people(self, kind: str) -> set[str]:
        return names(Person.objects.filter(followup_q(kind)))

    def test_the_seed_defaults(self) -> None:
        self.assertEqual(self.people("revisit"), {"UNDECIDED", "LEANING"})
        self.assertEqual(self.people("phone_pool"), {"UNDECIDED"})
        self.assertEqual(self.people("inform_by_email"), {"FOR"})
        self.assertEqual(self.people("no_further_contact"), {"AGAINST"})
        self.assertEqual(self.people("retry_not_home"), {"ABSENT"})

    def test_the_rules_follow_the_policy(self) -> None:
        policy = contact_policy()
        policy.revisit_levels = [2, 3]
        policy.not_home_retries = 4
        policy.save()
        self.assertEqual(self.people("revisit"), {"UNDECIDED", "LEANINGFOR"})
        self.assertEqual(self.people("retry_not_home"), {"ABSENT", "THRICE"})

    def test_an_unknown_kind_is_refused(self) -> None:
        with self.assertRaises(ValueError):
            followup_q("later")

    def test_the_segment_filter_offers_the_same_lists(self) -> None:
        definition = {"op": "and", "filters": [{"field": "followup", "kind": "phone_pool"}]}
        self.assertEqual(
            names(segment_queryset(user=self.owner, definition=definition)), {"UNDECIDED"}
        )
        with self.assertRaises(SegmentError):
            segment_queryset(
                user=self.owner,
                definition={"op": "and", "filters": [{"field": "followup", "kind": "x"}]},
            )


class ContactCapTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.now = at("2026-06-10T12:00")
        self.busy = make_person(birth_name="BUSY")
        self.calm = make_person(birth_name="CALM")
        # Three attempts in the last 7 days across channels: at the cap.
        knock(self.busy, self.now - timedelta(days=6), "not_home")
        knock(self.busy, self.now - timedelta(days=2), "no_answer", channel="phone")
        knock(self.busy, self.now - timedelta(days=1), "sent", channel="sms")
        # Two recent, one older than the period, one event (not a contact attempt).
        knock(self.calm, self.now - timedelta(days=8), "talked")
        knock(self.calm, self.now - timedelta(days=3), "talked")
        knock(self.calm, self.now - timedelta(days=1), "sent", channel="email")
        knock(self.calm, self.now - timedelta(hours=1), "attended", channel="event")

    def test_people_at_the_cap_are_excluded(self) -> None:
        self.assertEqual(names(Person.objects.filter(over_contact_cap_q(now=self.now))), {"BUSY"})
        self.assertEqual(names(Person.objects.exclude(over_contact_cap_q(now=self.now))), {"CALM"})

    def test_the_period_moves_with_the_date(self) -> None:
        later = self.now + timedelta(days=2)  # the 6-day-old knock leaves the period
        self.assertEqual(names(Person.objects.filter(over_contact_cap_q(now=later))), set())

    def test_contact_cap_allows(self) -> None:
        self.assertFalse(contact_cap_allows(person_id=self.busy.pk, now=self.now))
        self.assertTrue(contact_cap_allows(person_id=self.calm.pk, now=self.now))

    def test_a_cap_of_zero_means_no_cap(self) -> None:
        ContactPolicy.objects.update_or_create(pk=1, defaults={"cap_attempts": 0})
        self.assertEqual(names(Person.objects.filter(over_contact_cap_q(now=self.now))), set())
        self.assertTrue(contact_cap_allows(person_id=self.busy.pk, now=self.now))

    def test_a_stricter_cap(self) -> None:
        ContactPolicy.objects.update_or_create(pk=1, defaults={"cap_attempts": 2, "cap_days": 7})
        self.assertEqual(
            names(Person.objects.filter(over_contact_cap_q(now=self.now))), {"BUSY", "CALM"}
        )

    def test_the_segment_filters(self) -> None:
        recent = Interaction.objects.filter(
            person=self.calm, occurred_at__gte=self.now - timedelta(days=4)
        )
        recent.update(occurred_at=timezone.now() - timedelta(days=1))
        door = {
            "op": "and",
            "filters": [{"field": "contacted_within_days", "days": 2, "channel": "door"}],
        }
        self.assertEqual(names(segment_queryset(user=self.owner, definition=door)), {"CALM"})
        capped = {"op": "and", "filters": [{"field": "not_over_contact_cap"}]}
        Interaction.objects.filter(person=self.busy).update(occurred_at=timezone.now())
        self.assertEqual(names(segment_queryset(user=self.owner, definition=capped)), {"CALM"})
        with self.assertRaises(SegmentError):
            segment_queryset(
                user=self.owner,
                definition={
                    "op": "and",
                    "filters": [{"field": "contacted_within_days", "days": 0}],
                },
            )
