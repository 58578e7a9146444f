"""A merge of two people keeps what the other apps hold for the merged person: their places in
turfs and call queues, their deliveries and inbound messages (`people.signals.person_merging`).
Before, deleting the merged person took all of these with it. And an erasure leaves the turfs
counting the people they hold (`people.signals.person_erasing`)."""

from __future__ import annotations

from django.utils import timezone

from maillage.accounts.tests.factories import UserFactory
from maillage.canvassing.models import Turf, TurfMember
from maillage.canvassing.tests.helpers import hand_turf
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.messaging.models import Campaign, Delivery, InboundMessage
from maillage.people.models import Segment
from maillage.people.services.dedupe import person_merge
from maillage.people.services.gdpr import person_erase
from maillage.people.tests.helpers import make_person
from maillage.phonebank.models import Call, QueueEntry
from maillage.phonebank.tests.helpers import make_campaign


class MergeElsewhereTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.staff = UserFactory(role=Role.STAFF)
        self.keep = make_person(birth_name="DUPONT", first_names="Marie")
        self.merge = make_person(birth_name="DUPONT", first_names="Marie")

    def test_turf_places_move_and_a_shared_turf_counts_the_voter_once(self) -> None:
        other = make_person(birth_name="MARTIN")
        only_merged = hand_turf([other, self.merge])
        both = hand_turf([self.keep, self.merge, other])
        person_merge(actor=self.staff, keep=self.keep, merge=self.merge)
        self.assertEqual(
            set(TurfMember.objects.filter(turf=only_merged).values_list("person_id", "position")),
            {(other.pk, 1), (self.keep.pk, 2)},  # the same place in the walk
        )
        self.assertEqual(
            sorted(TurfMember.objects.filter(turf=both).values_list("person_id", flat=True)),
            sorted([self.keep.pk, other.pk]),
        )
        self.assertEqual(Turf.objects.get(pk=both.pk).member_count, 2)
        self.assertEqual(Turf.objects.get(pk=only_merged.pk).member_count, 2)

    def test_call_queue_places_move_with_their_calls_and_a_done_voter_is_not_called_again(
        self,
    ) -> None:
        alone, shared = make_campaign(actor=self.staff), make_campaign(actor=self.staff)
        now = timezone.now()
        moved = QueueEntry.objects.create(
            campaign=alone, person=self.merge, phone="+33611111111", available_at=now
        )
        kept = QueueEntry.objects.create(
            campaign=shared, person=self.keep, phone="+33622222222", available_at=now
        )
        reached = QueueEntry.objects.create(
            campaign=shared,
            person=self.merge,
            phone="+33611111111",
            available_at=now,
            state=QueueEntry.State.DONE,
            attempts=2,
            last_result="reached",
            done_reason="reached",
        )
        call = Call.objects.create(campaign=shared, entry=reached, started_at=now, result="reached")
        person_merge(actor=self.staff, keep=self.keep, merge=self.merge)
        moved.refresh_from_db()
        kept.refresh_from_db()
        call.refresh_from_db()
        self.assertEqual(moved.person_id, self.keep.pk)
        self.assertFalse(QueueEntry.objects.filter(pk=reached.pk).exists())
        self.assertEqual(call.entry_id, kept.pk)  # the call history stays
        self.assertEqual(
            (kept.state, kept.attempts, kept.done_reason),
            (QueueEntry.State.DONE, 2, "reached"),
        )

    def _campaign(self, name: str) -> Campaign:
        segment = Segment.objects.create(
            name=name, definition={"op": "and", "filters": []}, created_by=self.staff
        )
        return Campaign.objects.create(
            name=name, channel=Campaign.Channel.EMAIL, segment=segment, body="Bonjour"
        )

    def test_deliveries_move_and_a_campaign_already_sent_is_not_sent_again(self) -> None:
        alone, sent_to_merged, sent_to_kept = (
            self._campaign("Seule"),
            self._campaign("Envoyée à l'autre"),
            self._campaign("Envoyée à la gardée"),
        )
        moved = Delivery.objects.create(campaign=alone, person=self.merge, address="m@example.org")
        Delivery.objects.create(campaign=sent_to_merged, person=self.keep, address="k@example.org")
        went_out = Delivery.objects.create(
            campaign=sent_to_merged,
            person=self.merge,
            address="m@example.org",
            status=Delivery.Status.SENT,
        )
        sent = Delivery.objects.create(
            campaign=sent_to_kept,
            person=self.keep,
            address="k@example.org",
            status=Delivery.Status.SENT,
        )
        Delivery.objects.create(campaign=sent_to_kept, person=self.merge, address="m@example.org")
        inbound = InboundMessage.objects.create(
            sender="+33611111111",
            person=self.merge,
            text="OUI",
            kind=InboundMessage.Kind.RSVP,
            received_at=timezone.now(),
        )
        person_merge(actor=self.staff, keep=self.keep, merge=self.merge)
        deliveries = {
            delivery.campaign_id: (delivery.pk, delivery.status)
            for delivery in Delivery.objects.filter(person_id=self.keep.pk)
        }
        self.assertEqual(
            deliveries,
            {
                alone.pk: (moved.pk, Delivery.Status.QUEUED),
                sent_to_merged.pk: (went_out.pk, Delivery.Status.SENT),  # not queued again
                sent_to_kept.pk: (sent.pk, Delivery.Status.SENT),
            },
        )
        self.assertFalse(Delivery.objects.filter(person_id=self.merge.pk).exists())
        inbound.refresh_from_db()
        self.assertEqual(inbound.person_id, self.keep.pk)


class EraseElsewhereTestCase(BaseTestCase):
    def test_an_erased_person_leaves_their_turfs_and_the_turfs_count_them_no_more(self) -> None:
        staff = UserFactory(role=Role.STAFF)
        erased, other = make_person(birth_name="DUPONT"), make_person(birth_name="MARTIN")
        turf = hand_turf([erased, other])
        untouched = hand_turf([other])
        person_erase(actor=staff, person=erased)
        self.assertEqual(
            list(TurfMember.objects.filter(turf=turf).values_list("person_id", flat=True)),
            [other.pk],
        )
        self.assertEqual(Turf.objects.get(pk=turf.pk).member_count, 1)
        self.assertEqual(Turf.objects.get(pk=untouched.pk).member_count, 1)
