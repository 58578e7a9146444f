"""The queue, claims, results and call-backs of the phone bank (services)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from maillage.core.errors import ApplicationError, NotFound, PermissionDenied
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import ContactPolicy, Interaction, PhoneNumber, SuppressionEntry
from maillage.people.selectors import followup_q
from maillage.people.selectors.people import people_visible_to
from maillage.people.services.suppression import suppression_add
from maillage.people.tests.helpers import make_person
from maillage.phonebank.hours import parse_hours, within_calling_hours
from maillage.phonebank.models import Call, CallCampaign, QueueEntry
from maillage.phonebank.services import (
    CallResult,
    call_campaign_set_status,
    call_claim_next,
    call_queue_build,
    call_result_record,
    callback_reassign,
)
from maillage.phonebank.tests.helpers import IN_HOURS, PARIS, make_callable, make_campaign

State = QueueEntry.State


def result(code: str, **fields: object) -> CallResult:
    return CallResult(result=code, client_uuid=uuid.uuid4(), **fields)  # type: ignore[arg-type]


class QueueBuildTests(BaseTestCase):
    def test_it_queues_only_people_one_may_call(self) -> None:
        ok = make_callable(2)
        no_consent = make_person(consent_phone=False)
        PhoneNumber.objects.create(person=no_consent, number="+33611111111")
        no_phone = make_person(consent_phone=True)
        invalid = make_person(consent_phone=True)
        PhoneNumber.objects.create(person=invalid, number="+33622222222", status="invalid")
        campaign = make_campaign(actor=self.owner)
        added = call_queue_build(actor=self.owner, campaign=campaign, now=IN_HOURS)
        self.assertEqual(added, 2)
        queued = set(
            QueueEntry.objects.filter(campaign=campaign).values_list("person_id", flat=True)
        )
        self.assertEqual(queued, {p.pk for p in ok})
        self.assertNotIn(no_phone.pk, queued)

    def test_it_skips_people_over_the_contact_cap(self) -> None:
        capped, free = make_callable(2)
        ContactPolicy.objects.update_or_create(pk=1, defaults={"cap_attempts": 2, "cap_days": 7})
        for _ in range(2):
            Interaction.objects.create(
                person=capped,
                channel="email",
                result="sent",
                occurred_at=IN_HOURS - timedelta(days=1),
            )
        campaign = make_campaign(actor=self.owner)
        call_queue_build(actor=self.owner, campaign=campaign)
        self.assertEqual(
            list(QueueEntry.objects.filter(campaign=campaign).values_list("person_id", flat=True)),
            [free.pk],
        )

    def test_a_refresh_adds_new_people_and_closes_those_who_opted_out(self) -> None:
        first, leaving = make_callable(2)
        campaign = make_campaign(actor=self.owner)
        call_queue_build(actor=self.owner, campaign=campaign)
        newcomer = make_callable(1)[0]
        type(leaving).objects.filter(pk=leaving.pk).update(consent_phone=False)
        self.assertEqual(call_queue_build(actor=self.owner, campaign=campaign), 1)
        states = dict(
            QueueEntry.objects.filter(campaign=campaign).values_list("person_id", "state")
        )
        self.assertEqual(
            states, {first.pk: State.WAITING, leaving.pk: State.DONE, newcomer.pk: State.WAITING}
        )

    def test_only_staff_build_a_queue(self) -> None:
        campaign = make_campaign(actor=self.owner)
        with self.assertRaises(PermissionDenied):
            call_queue_build(actor=self.teammate, campaign=campaign)


class CallingHoursTests(BaseTestCase):
    def test_default_hours_are_weekday_mornings_and_evenings(self) -> None:
        hours = {"weekday_hours": "10:00-13:00,14:00-20:00", "saturday_hours": ""}
        tuesday = IN_HOURS
        self.assertTrue(within_calling_hours(tuesday, **hours))
        self.assertFalse(within_calling_hours(tuesday.replace(hour=13, minute=30), **hours))
        self.assertFalse(within_calling_hours(tuesday.replace(hour=20), **hours))
        self.assertTrue(within_calling_hours(tuesday.replace(hour=19, minute=59), **hours))
        saturday = tuesday + timedelta(days=4)
        self.assertFalse(within_calling_hours(saturday, **hours))
        self.assertTrue(
            within_calling_hours(saturday, weekday_hours="", saturday_hours="10:00-12:00")
        )
        sunday = tuesday + timedelta(days=5)
        self.assertFalse(
            within_calling_hours(sunday, weekday_hours="00:00-23:59", saturday_hours="00:00-23:59")
        )

    def test_hours_are_read_in_the_campaign_time_zone(self) -> None:
        # 09:30 UTC is 10:30 in Paris in December.
        from datetime import UTC, datetime

        moment = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
        self.assertTrue(
            within_calling_hours(moment, weekday_hours="10:00-11:00", saturday_hours="")
        )
        self.assertEqual(moment.astimezone(PARIS).hour, 10)

    def test_unreadable_hours_are_refused(self) -> None:
        for bad in ("10-13h", "13:00-10:00", "25:00-26:00"):
            with self.assertRaises(ApplicationError):
                parse_hours(bad)

    def test_nobody_is_claimed_outside_calling_hours(self) -> None:
        make_callable(1)
        campaign = make_campaign(actor=self.owner, callers=[self.teammate], status="running")
        call_queue_build(actor=self.owner, campaign=campaign)
        with self.assertRaises(ApplicationError):
            call_claim_next(caller=self.teammate, campaign=campaign, now=IN_HOURS.replace(hour=21))


class ClaimTests(BaseTestCase):
    def setUp(self) -> None:
        self.people = make_callable(3)
        self.campaign = make_campaign(actor=self.owner, callers=[self.teammate])
        call_campaign_set_status(actor=self.owner, campaign=self.campaign, status="running")

    def test_starting_a_campaign_builds_its_queue(self) -> None:
        self.assertEqual(QueueEntry.objects.filter(campaign=self.campaign).count(), 3)
        self.assertIsNotNone(self.campaign.queue_built_at)

    def test_two_callers_get_two_different_people(self) -> None:
        first = call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        second = call_claim_next(caller=self.owner, campaign=self.campaign, now=IN_HOURS)
        assert first is not None and second is not None
        self.assertNotEqual(first.person_id, second.person_id)
        self.assertEqual(first.claimed_by_id, self.teammate.pk)
        self.assertEqual(first.state, State.CLAIMED)

    def test_a_caller_keeps_the_person_they_hold(self) -> None:
        first = call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        again = call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        assert first is not None and again is not None
        self.assertEqual(first.pk, again.pk)

    def test_a_caller_sees_exactly_the_person_they_hold(self) -> None:
        self.assertEqual(people_visible_to(user=self.teammate).count(), 0)
        entry = call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        assert entry is not None
        self.assertEqual(list(people_visible_to(user=self.teammate)), [entry.person])
        call_result_record(
            caller=self.teammate, entry_id=entry.pk, outcome=result("talked"), now=IN_HOURS
        )
        self.assertEqual(people_visible_to(user=self.teammate).count(), 0)

    def test_a_claim_expires_and_the_person_goes_back_to_the_queue(self) -> None:
        entry = call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        assert entry is not None
        later = IN_HOURS + timedelta(minutes=self.campaign.claim_minutes + 1)
        taken = [call_claim_next(caller=self.owner, campaign=self.campaign, now=later)]
        for _ in range(2):
            call_result_record(
                caller=self.owner, entry_id=taken[-1].pk, outcome=result("talked"), now=later
            )  # type: ignore[union-attr]
            taken.append(call_claim_next(caller=self.owner, campaign=self.campaign, now=later))
        self.assertIn(entry.pk, [t.pk for t in taken if t])
        with self.assertRaises(NotFound):
            call_result_record(
                caller=self.teammate, entry_id=entry.pk, outcome=result("talked"), now=later
            )

    def test_only_the_campaign_callers_may_claim(self) -> None:
        with self.assertRaises(PermissionDenied):
            call_claim_next(caller=self.outsider, campaign=self.campaign, now=IN_HOURS)

    def test_a_team_makes_its_members_callers(self) -> None:
        self.campaign.caller_teams.add(self.other_team)
        self.assertIsNotNone(
            call_claim_next(caller=self.outsider, campaign=self.campaign, now=IN_HOURS)
        )

    def test_a_paused_campaign_gives_nobody(self) -> None:
        call_campaign_set_status(actor=self.owner, campaign=self.campaign, status="paused")
        with self.assertRaises(ApplicationError):
            call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)

    def test_a_number_put_on_the_do_not_call_ledger_after_the_build_is_skipped(self) -> None:
        for entry in QueueEntry.objects.filter(campaign=self.campaign):
            suppression_add(kind="phone", value=entry.phone, scope=SuppressionEntry.Scope.PHONE)
        self.assertIsNone(
            call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        )
        self.assertEqual(
            set(
                QueueEntry.objects.filter(campaign=self.campaign).values_list(
                    "done_reason", flat=True
                )
            ),
            {"suppressed"},
        )


class ResultTests(BaseTestCase):
    def setUp(self) -> None:
        make_callable(1)
        self.campaign = make_campaign(actor=self.owner, callers=[self.teammate], max_attempts=2)
        call_campaign_set_status(actor=self.owner, campaign=self.campaign, status="running")

    def claim(self, now=IN_HOURS):  # type: ignore[no-untyped-def]
        entry = call_claim_next(caller=self.teammate, campaign=self.campaign, now=now)
        assert entry is not None
        return entry

    def test_a_talk_becomes_an_interaction_with_support_and_ends_the_entry(self) -> None:
        entry = self.claim()
        call = call_result_record(
            caller=self.teammate,
            entry_id=entry.pk,
            outcome=result("talked", support_level=3),
            now=IN_HOURS,
        )
        interaction = Interaction.objects.get(pk=call.interaction_id)
        self.assertEqual((interaction.channel, interaction.result), ("phone", "talked"))
        self.assertEqual(
            (interaction.source_kind, interaction.source_id), ("call_campaign", self.campaign.pk)
        )
        entry.refresh_from_db()
        self.assertEqual((entry.state, entry.done_reason), (State.DONE, "talked"))
        entry.person.refresh_from_db()
        self.assertEqual(entry.person.current_support, 3)

    def test_the_same_result_posted_twice_is_recorded_once(self) -> None:
        entry = self.claim()
        outcome = result("talked")
        first = call_result_record(
            caller=self.teammate, entry_id=entry.pk, outcome=outcome, now=IN_HOURS
        )
        second = call_result_record(
            caller=self.teammate, entry_id=entry.pk, outcome=outcome, now=IN_HOURS
        )
        self.assertEqual(first.pk, second.pk)
        self.assertEqual(Interaction.objects.filter(person=entry.person).count(), 1)

    def test_no_answer_comes_back_later_until_the_attempts_run_out(self) -> None:
        entry = self.claim()
        call_result_record(
            caller=self.teammate, entry_id=entry.pk, outcome=result("no_answer"), now=IN_HOURS
        )
        entry.refresh_from_db()
        self.assertEqual((entry.state, entry.attempts), (State.WAITING, 1))
        self.assertIsNone(
            call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        )
        later = IN_HOURS + timedelta(hours=self.campaign.retry_hours)
        again = self.claim(later)
        self.assertEqual(again.pk, entry.pk)
        call_result_record(
            caller=self.teammate, entry_id=entry.pk, outcome=result("busy"), now=later
        )
        entry.refresh_from_db()
        self.assertEqual(
            (entry.state, entry.done_reason, entry.attempts), (State.DONE, "max_attempts", 2)
        )

    def test_a_call_back_returns_at_its_time_to_the_same_caller_first(self) -> None:
        entry = self.claim()
        when = IN_HOURS + timedelta(hours=3)
        call_result_record(
            caller=self.teammate,
            entry_id=entry.pk,
            outcome=result("call_back", callback_at=when),
            now=IN_HOURS,
        )
        self.assertIsNone(
            call_claim_next(caller=self.teammate, campaign=self.campaign, now=IN_HOURS)
        )
        # At its time it is kept for the caller who scheduled it…
        self.assertIsNone(call_claim_next(caller=self.owner, campaign=self.campaign, now=when))
        again = call_claim_next(caller=self.teammate, campaign=self.campaign, now=when)
        assert again is not None
        self.assertEqual(again.pk, entry.pk)

    def test_an_unanswered_call_back_goes_to_anyone_after_its_grace(self) -> None:
        entry = self.claim()
        when = IN_HOURS + timedelta(hours=1)
        call_result_record(
            caller=self.teammate,
            entry_id=entry.pk,
            outcome=result("call_back", callback_at=when),
            now=IN_HOURS,
        )
        taken = call_claim_next(
            caller=self.owner, campaign=self.campaign, now=when + timedelta(minutes=31)
        )
        assert taken is not None
        self.assertEqual(taken.pk, entry.pk)

    def test_a_call_back_needs_a_time_to_come(self) -> None:
        entry = self.claim()
        with self.assertRaises(ApplicationError):
            call_result_record(
                caller=self.teammate, entry_id=entry.pk, outcome=result("call_back"), now=IN_HOURS
            )

    def test_the_lead_reassigns_a_call_back(self) -> None:
        entry = self.claim()
        when = IN_HOURS + timedelta(hours=1)
        call_result_record(
            caller=self.teammate,
            entry_id=entry.pk,
            outcome=result("call_back", callback_at=when),
            now=IN_HOURS,
        )
        entry.refresh_from_db()
        self.assertTrue(callback_reassign(actor=self.owner, entry=entry, to_user=self.outsider))
        self.campaign.callers.add(self.outsider)
        taken = call_claim_next(caller=self.outsider, campaign=self.campaign, now=when)
        assert taken is not None
        self.assertEqual(taken.pk, entry.pk)
        with self.assertRaises(PermissionDenied):
            callback_reassign(actor=self.teammate, entry=entry, to_user=None)

    def test_do_not_call_fills_the_suppression_ledger_and_leaves_the_queue(self) -> None:
        entry = self.claim()
        call_result_record(
            caller=self.teammate, entry_id=entry.pk, outcome=result("do_not_contact"), now=IN_HOURS
        )
        entry.person.refresh_from_db()
        self.assertFalse(entry.person.consent_phone)
        self.assertTrue(
            SuppressionEntry.objects.filter(scope=SuppressionEntry.Scope.PHONE).exists()
        )
        # A second campaign over the same people never queues them again.
        other = make_campaign(actor=self.owner)
        self.assertEqual(call_queue_build(actor=self.owner, campaign=other), 0)

    def test_the_follow_up_rules_apply_to_the_next_campaigns(self) -> None:
        entry = self.claim()
        call_result_record(
            caller=self.teammate,
            entry_id=entry.pk,
            outcome=result("talked", support_level=5),
            now=IN_HOURS,
        )
        # Against: no further phone contact, so a new campaign over everyone leaves them out…
        self.assertEqual(
            call_queue_build(actor=self.owner, campaign=make_campaign(actor=self.owner)), 0
        )
        # …while an undecided person goes to the revisit and phone pools.
        undecided = make_callable(1)[0]
        other = make_campaign(actor=self.owner, callers=[self.teammate], status="running")
        call_queue_build(actor=self.owner, campaign=other)
        taken = call_claim_next(caller=self.teammate, campaign=other, now=IN_HOURS)
        assert taken is not None and taken.person_id == undecided.pk
        call_result_record(
            caller=self.teammate,
            entry_id=taken.pk,
            outcome=result("talked", support_level=3),
            now=IN_HOURS,
        )
        people = type(undecided).objects
        self.assertTrue(people.filter(followup_q("revisit"), pk=undecided.pk).exists())
        self.assertTrue(people.filter(followup_q("phone_pool"), pk=undecided.pk).exists())
        self.assertFalse(people.filter(followup_q("revisit"), pk=entry.person_id).exists())

    def test_a_wrong_number_is_marked_invalid_and_never_queued_again(self) -> None:
        entry = self.claim()
        call_result_record(
            caller=self.teammate, entry_id=entry.pk, outcome=result("wrong_number"), now=IN_HOURS
        )
        self.assertEqual(PhoneNumber.objects.get(number=entry.phone).status, "invalid")
        other = make_campaign(actor=self.owner)
        self.assertEqual(call_queue_build(actor=self.owner, campaign=other), 0)

    def test_the_call_row_feeds_the_stats(self) -> None:
        entry = self.claim()
        call_result_record(
            caller=self.teammate, entry_id=entry.pk, outcome=result("talked"), now=IN_HOURS
        )
        call = Call.objects.get(entry=entry)
        self.assertEqual(
            (call.result, call.caller_id, call.campaign_id),
            ("talked", self.teammate.pk, self.campaign.pk),
        )

    def test_campaign_statuses_are_checked(self) -> None:
        with self.assertRaises(ApplicationError):
            call_campaign_set_status(actor=self.owner, campaign=self.campaign, status="exploded")
        self.assertEqual(CallCampaign.objects.get(pk=self.campaign.pk).status, "running")
