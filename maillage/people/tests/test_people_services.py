"""Services: interactions (idempotency, latest wins), consent and the ledger, merge, dedupe, GDPR."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.utils import timezone

from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import (
    Consent,
    DuplicateCandidate,
    EmailAddress,
    Interaction,
    Person,
    PersonTag,
    PhoneNumber,
    SuppressionEntry,
)
from maillage.people.normalise import identity_key
from maillage.people.selectors.segments import segment_queryset
from maillage.people.services.consent import consent_record
from maillage.people.services.dedupe import (
    _id_runs,
    duplicate_merge,
    duplicates_detect,
    duplicates_search_create,
    duplicates_search_run,
    person_merge,
)
from maillage.people.services.gdpr import person_erase, person_subject_access_export
from maillage.people.services.interactions import interaction_record
from maillage.people.services.persons import (
    email_add,
    person_create,
    person_tags_add,
    person_update,
    phone_add,
)
from maillage.people.services.suppression import is_suppressed, suppression_hash
from maillage.people.tests.helpers import assign, at, make_person

REACHABLE_EMAIL = {"op": "and", "filters": [{"field": "reachable", "channel": "email"}]}


class InteractionTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.person = make_person()

    def record(self, **kwargs):  # type: ignore[no-untyped-def]
        defaults = {
            "actor": self.teammate,
            "person": self.person,
            "channel": "door",
            "result": "talked",
            "occurred_at": at("2026-05-01T10:00"),
        }
        return interaction_record(**{**defaults, **kwargs})

    def test_the_same_client_uuid_stores_one_interaction(self) -> None:
        key = uuid.uuid4()
        first = self.record(client_uuid=key, support_level=3)
        again = self.record(client_uuid=str(key), support_level=1)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Interaction.objects.count(), 1)
        self.person.refresh_from_db()
        self.assertEqual(self.person.current_support, 3)

    def test_a_client_uuid_cannot_be_reused_for_another_person(self) -> None:
        key = uuid.uuid4()
        self.record(client_uuid=key)
        with self.assertRaises(ApplicationError):
            self.record(client_uuid=key, person=make_person())

    def test_only_the_latest_interaction_sets_the_current_support(self) -> None:
        self.record(support_level=1, occurred_at=at("2026-06-01T10:00"))
        self.record(
            support_level=5, occurred_at=at("2026-04-01T10:00"), channel="phone"
        )  # arrives late from an offline phone
        self.person.refresh_from_db()
        self.assertEqual(self.person.current_support, 1)
        self.assertEqual(self.person.last_interaction_at, at("2026-06-01T10:00"))
        self.assertEqual(self.person.last_interaction_channel, "door")
        self.record(result="not_home", occurred_at=at("2026-07-01T10:00"))
        self.person.refresh_from_db()
        self.assertEqual(self.person.current_support, 1)  # no level expressed: the level stays
        self.assertEqual(self.person.last_interaction_at, at("2026-07-01T10:00"))
        self.assertEqual(Interaction.objects.filter(person=self.person).count(), 3)

    def test_it_rejects_unknown_results_and_levels(self) -> None:
        with self.assertRaises(ApplicationError):
            self.record(result="maybe")
        with self.assertRaises(ApplicationError):
            self.record(support_level=9)

    def test_do_not_contact_refuses_every_channel_and_fills_the_ledger(self) -> None:
        EmailAddress.objects.create(person=self.person, address="dnc@example.org")
        PhoneNumber.objects.create(person=self.person, number="+33612345678")
        self.record(result="do_not_contact")
        self.person.refresh_from_db()
        self.assertEqual(
            (
                self.person.consent_email,
                self.person.consent_sms,
                self.person.consent_phone,
                self.person.consent_post,
            ),
            (False, False, False, False),
        )
        self.assertTrue(is_suppressed(kind="email", value="dnc@example.org", channel_scope="email"))
        self.assertTrue(is_suppressed(kind="phone", value="06 12 34 56 78", channel_scope="sms"))
        self.assertTrue(is_suppressed(kind="phone", value="06 12 34 56 78", channel_scope="phone"))


class ConsentTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.person = make_person()
        email_add(actor=self.owner, person=self.person, address="Camille@Example.org")

    def test_it_keeps_history_flag_and_audit(self) -> None:
        consent_record(
            actor=self.owner,
            person=self.person,
            channel="email",
            granted=True,
            legal_basis="consent",
            source="formulaire",
        )
        self.person.refresh_from_db()
        self.assertIs(self.person.consent_email, True)
        self.assertEqual(
            set(segment_queryset(user=self.owner, definition=REACHABLE_EMAIL)), {self.person}
        )
        consent_record(
            actor=self.owner,
            person=self.person,
            channel="email",
            granted=False,
            legal_basis="consent",
            source="lien de désinscription",
        )
        self.person.refresh_from_db()
        self.assertIs(self.person.consent_email, False)
        self.assertEqual(Consent.objects.filter(person=self.person).count(), 2)
        self.assertEqual(
            AuditLogEntry.objects.filter(
                action="consent_change", target_id=str(self.person.pk)
            ).count(),
            2,
        )
        self.assertTrue(
            is_suppressed(kind="email", value="camille@example.org", channel_scope="email")
        )
        self.assertFalse(segment_queryset(user=self.owner, definition=REACHABLE_EMAIL).exists())

    def test_an_older_consent_does_not_override_the_one_in_force(self) -> None:
        consent_record(
            actor=self.owner,
            person=self.person,
            channel="sms",
            granted=True,
            legal_basis="consent",
            source="a",
            recorded_at=at("2026-05-01T10:00"),
        )
        consent_record(
            actor=self.owner,
            person=self.person,
            channel="sms",
            granted=False,
            legal_basis="consent",
            source="b",
            recorded_at=at("2026-01-01T10:00"),
        )
        self.person.refresh_from_db()
        self.assertIs(self.person.consent_sms, True)

    def test_an_unsubscribed_address_cannot_be_given_consent_again_elsewhere(self) -> None:
        consent_record(
            actor=self.owner,
            person=self.person,
            channel="email",
            granted=False,
            legal_basis="consent",
            source="STOP",
        )
        other = make_person()
        email_add(actor=self.owner, person=other, address="camille@example.org")
        other.refresh_from_db()
        self.assertIs(other.consent_email, False)
        with self.assertRaises(ApplicationError):
            consent_record(
                actor=self.owner,
                person=other,
                channel="email",
                granted=True,
                legal_basis="consent",
                source="import",
            )


class PersonServicesTestCase(BaseTestCase):
    def test_create_and_update_keep_search_and_household_keys(self) -> None:
        person = person_create(
            actor=self.owner,
            fields={
                "birth_name": "Müller",
                "first_names": "Zoé",
                "address_number": "3",
                "address_street": "Bd de la Liberté",
                "postcode": "13001",
            },
            emails=["zoe@example.org"],
            phones=["06 11 22 33 44"],
            tags=["Infirmière"],
            source="fiche papier",
        )
        self.assertEqual(person.search_name, "zoe muller")
        self.assertEqual(person.household_key, "13001|3|boulevard de la liberte|")
        self.assertEqual(person.phones.get().number, "+33611223344")
        self.assertEqual(person.tags.get().slug, "infirmiere")
        person_update(
            actor=self.owner,
            person=person,
            fields={"usage_name": "Durand", "address_complement": "Apt 4"},
        )
        person.refresh_from_db()
        self.assertEqual(person.search_name, "zoe durand muller")
        self.assertEqual(person.household_key, "13001|3|boulevard de la liberte|apt 4")
        self.assertTrue(
            AuditLogEntry.objects.filter(action="update", target_id=str(person.pk)).exists()
        )

    def test_it_refuses_a_person_without_any_name_and_a_bad_phone(self) -> None:
        with self.assertRaises(ApplicationError):
            person_create(actor=self.owner, fields={"birth_year": 1950})
        with self.assertRaises(ApplicationError):
            phone_add(actor=self.owner, person=make_person(), number="12")


class MergeTestCase(BaseTestCase):
    def test_merge_keeps_every_interaction_consent_email_phone_tag_and_list(self) -> None:
        keep = make_person(
            birth_name="DUPONT",
            first_names="Marie",
            birth_year=1960,
            sources=["roll"],
            extra={"a": "1"},
        )
        merge = make_person(
            birth_name="DUPONT",
            first_names="Marie",
            birth_year=1960,
            birth_month=4,
            birth_day=2,
            birth_place="Arles",
            sources=["petition"],
            extra={"b": "2"},
            is_member=True,
        )
        email_add(actor=self.owner, person=keep, address="shared@example.org")
        email_add(actor=self.owner, person=merge, address="shared@example.org")
        email_add(actor=self.owner, person=merge, address="other@example.org")
        phone_add(actor=self.owner, person=merge, number="0612345678")
        person_tags_add(person=keep, names=["Retraitée"])
        person_tags_add(person=merge, names=["Retraitée", "Infirmière"])
        interaction_record(
            actor=self.owner,
            person=keep,
            channel="door",
            result="talked",
            support_level=3,
            occurred_at=at("2026-03-01T10:00"),
        )
        interaction_record(
            actor=self.owner,
            person=merge,
            channel="phone",
            result="talked",
            support_level=1,
            occurred_at=at("2026-05-01T10:00"),
        )
        consent_record(
            actor=self.owner,
            person=merge,
            channel="email",
            granted=True,
            legal_basis="consent",
            source="pétition",
        )
        list_ = assign([merge], users=[self.teammate])
        kept = person_merge(actor=self.owner, keep=keep, merge=merge)
        self.assertFalse(Person.objects.filter(pk=merge.pk).exists())
        self.assertEqual(kept.interactions.count(), 2)
        self.assertEqual(kept.consents.count(), 1)
        self.assertEqual(
            sorted(kept.emails.values_list("address", flat=True)),
            ["other@example.org", "shared@example.org"],
        )
        self.assertEqual(kept.phones.count(), 1)
        self.assertEqual(
            sorted(kept.tags.values_list("slug", flat=True)), ["infirmiere", "retraitee"]
        )
        self.assertEqual(list(list_.members.all()), [kept])
        self.assertEqual(
            (kept.current_support, kept.last_interaction_channel, kept.consent_email),
            (1, "phone", True),
        )
        self.assertEqual(
            (kept.birth_month, kept.birth_day, kept.birth_place, kept.is_member),
            (4, 2, "Arles", True),
        )
        self.assertEqual(kept.sources, ["roll", "petition"])
        self.assertEqual(kept.extra, {"a": "1", "b": "2"})
        entry = AuditLogEntry.objects.get(action="merge")
        self.assertEqual(entry.changes["merged_id"], merge.pk)
        self.assertEqual(entry.changes["moved"]["interactions"], 1)

    def test_merge_takes_the_roll_identity_when_the_kept_person_has_none(self) -> None:
        keep = make_person()
        merge = make_person(roll_commune_code="13055", roll_station_code="0003", roll_number=42)
        kept = person_merge(actor=self.owner, keep=keep, merge=merge)
        self.assertEqual((kept.roll_station_code, kept.roll_number), ("0003", 42))

    def test_merging_a_pair_from_the_queue_removes_the_pair(self) -> None:
        a, b = make_person(), make_person()
        pair = DuplicateCandidate.objects.create(first=a, second=b, score=90)
        duplicate_merge(actor=self.owner, candidate=pair, keep_id=b.pk)
        self.assertFalse(DuplicateCandidate.objects.exists())
        self.assertTrue(Person.objects.filter(pk=b.pk).exists())
        self.assertFalse(Person.objects.filter(pk=a.pk).exists())

    def test_a_person_cannot_be_merged_with_itself(self) -> None:
        a = make_person()
        with self.assertRaises(ApplicationError):
            person_merge(actor=self.owner, keep=a, merge=a)


class DedupeTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.marie = make_person(
            birth_name="DUPONT",
            first_names="Marie Louise",
            birth_year=1953,
            birth_month=3,
            birth_day=12,
        )
        cls.typo = make_person(
            birth_name="DUPOND",
            first_names="Marie Louise",
            birth_year=1953,
            birth_month=3,
            birth_day=12,
        )
        cls.other_day = make_person(
            birth_name="DUPONT",
            first_names="Marie Louise",
            birth_year=1953,
            birth_month=9,
            birth_day=1,
        )
        cls.year_only = make_person(birth_name="GARCIA", first_names="José", birth_year=1961)
        cls.accented = make_person(birth_name="GARCÍA", first_names="Jose", birth_year=1961)
        cls.child = make_person(birth_name="GARCIA", first_names="Lucas", birth_year=1990)
        cls.stranger = make_person(birth_name="ZIDANE", first_names="Paul", birth_year=1953)

    def pairs(self) -> set[frozenset[int]]:
        return {frozenset((c.first_id, c.second_id)) for c in DuplicateCandidate.objects.all()}

    def test_it_proposes_close_spellings_with_the_same_birth_date(self) -> None:
        created = duplicates_detect()
        self.assertIn(frozenset((self.marie.pk, self.typo.pk)), self.pairs())
        self.assertIn(frozenset((self.year_only.pk, self.accented.pk)), self.pairs())
        self.assertNotIn(
            frozenset((self.marie.pk, self.other_day.pk)), self.pairs()
        )  # same name, other birthday
        self.assertNotIn(frozenset((self.year_only.pk, self.child.pk)), self.pairs())
        self.assertEqual(created, len(self.pairs()))
        self.assertEqual(duplicates_detect(), 0)  # nothing twice

    def test_the_whole_table_search_moves_its_bar_and_runs_once_at_a_time(self) -> None:
        progress = duplicates_search_create(actor=self.owner)
        with self.assertRaisesMessage(ApplicationError, "déjà en cours"):
            duplicates_search_create(actor=self.owner)
        self.assertEqual(duplicates_search_run(progress_id=str(progress.pk)), 2)
        progress.refresh_from_db()
        # birth years 1953, 1961 and 1990, then the households: four steps
        self.assertEqual(
            (progress.status, progress.done, progress.total),
            (TaskProgress.Status.SUCCEEDED, 4, 4),
        )
        self.assertEqual((progress.result["found"], progress.result["open"]), (2, 2))
        self.assertIn(frozenset((self.marie.pk, self.typo.pk)), self.pairs())
        # finished: another may start, and finds nothing new
        again = duplicates_search_create(actor=None)
        self.assertEqual(duplicates_search_run(progress_id=str(again.pk)), 0)
        self.assertEqual(DuplicateCandidate.objects.count(), 2)

    def test_a_search_left_running_by_a_dead_worker_does_not_block_the_next(self) -> None:
        stuck = duplicates_search_create(actor=None)
        TaskProgress.objects.filter(pk=stuck.pk).update(
            status=TaskProgress.Status.RUNNING, created_at=timezone.now() - timedelta(hours=3)
        )
        self.assertNotEqual(duplicates_search_create(actor=None).pk, stuck.pk)

    def test_a_year_alone_is_compared_with_full_dates_of_that_year(self) -> None:
        """Full dates are only compared within the same day; a partial date with everyone."""
        partial = make_person(birth_name="DUPONT", first_names="Marie", birth_year=1980)
        full = make_person(
            birth_name="DUPOND", first_names="Marie", birth_year=1980, birth_month=5, birth_day=17
        )
        other_full = make_person(
            birth_name="DUPONT", first_names="Marie", birth_year=1980, birth_month=6, birth_day=2
        )
        duplicates_detect(person_ids=[partial.pk, full.pk, other_full.pk])
        found = self.pairs()
        self.assertIn(frozenset((partial.pk, full.pk)), found)
        self.assertIn(frozenset((partial.pk, other_full.pk)), found)
        self.assertNotIn(frozenset((full.pk, other_full.pk)), found)  # two different birthdays

    def test_given_people_are_read_as_runs_of_ids(self) -> None:
        self.assertEqual(_id_runs([1, 2, 3, 7, 9, 10]), [(1, 3), (7, 7), (9, 10)])
        self.assertEqual(_id_runs([]), [])

    def test_same_household_and_name_is_proposed_even_across_birth_years(self) -> None:
        a = make_person(
            birth_name="NGUYEN",
            first_names="Anh",
            birth_year=None,
            address_number="5",
            address_street="rue Paradis",
            postcode="13006",
        )
        b = make_person(
            birth_name="NGUYEN",
            first_names="Anh",
            birth_year=1980,
            address_number="5",
            address_street="R PARADIS",
            postcode="13006",
        )
        duplicates_detect()
        self.assertIn(frozenset((a.pk, b.pk)), self.pairs())

    def test_it_can_check_only_given_people_against_the_rest(self) -> None:
        newcomer = make_person(birth_name="ZIDANNE", first_names="Paul", birth_year=1953)
        self.assertEqual(duplicates_detect(person_ids=[newcomer.pk]), 1)
        self.assertEqual(self.pairs(), {frozenset((newcomer.pk, self.stranger.pk))})

    def test_a_dismissed_pair_is_not_proposed_again(self) -> None:
        DuplicateCandidate.objects.create(
            first=self.marie, second=self.typo, score=90, status="dismissed"
        )
        duplicates_detect(person_ids=[self.marie.pk])
        self.assertEqual(
            DuplicateCandidate.objects.filter(
                status="open", first=self.marie, second=self.typo
            ).count(),
            0,
        )

    def test_it_reads_people_in_sets_not_one_query_per_person(self) -> None:
        surnames = [
            "ROUX",
            "FAURE",
            "BLANC",
            "GUERIN",
            "MULLER",
            "HENRY",
            "MASSON",
            "CHEVALIER",
            "LAMBERT",
            "BONNET",
        ]
        for surname in surnames:
            make_person(birth_name=surname, first_names="Yves", birth_year=1953)
        everyone = list(Person.objects.values_list("pk", flat=True))
        # The given people, one query per birth year among them (1953, 1961, 1990), the pairs
        # already known, one insert: 3 more people or 3,000 in those years, the same 6 queries.
        with self.assertNumQueries(6):
            self.assertEqual(duplicates_detect(person_ids=everyone), 2)


class GdprTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.person = make_person(
            birth_name="SECRET",
            first_names="Agathe",
            birth_year=1980,
            birth_month=1,
            birth_day=2,
            extra={"profession": "juge"},
            sources=["roll"],
        )
        email_add(actor=self.owner, person=self.person, address="agathe@example.org")
        phone_add(actor=self.owner, person=self.person, number="0611111111")
        consent_record(
            actor=self.owner,
            person=self.person,
            channel="email",
            granted=True,
            legal_basis="consent",
            source="pétition",
        )
        interaction_record(
            actor=self.teammate,
            person=self.person,
            channel="door",
            result="talked",
            support_level=2,
            occurred_at=at("2026-04-01T10:00"),
            note="aime le vélo",
        )
        person_tags_add(person=self.person, names=["Magistrate"])
        assign([self.person], users=[self.teammate])

    def test_the_subject_access_export_holds_everything_and_is_logged(self) -> None:
        json_bytes, text = person_subject_access_export(actor=self.owner, person=self.person)
        data = json.loads(json_bytes)
        self.assertEqual(data["identity"]["birth_name"], "SECRET")
        self.assertEqual(data["emails"][0]["address"], "agathe@example.org")
        self.assertEqual(data["phones"][0]["number"], "+33611111111")
        self.assertEqual(data["consents"][0]["granted"], True)
        self.assertEqual(data["interactions"][0]["support_level"], 2)
        self.assertEqual(data["interactions"][0]["note"], "aime le vélo")
        self.assertEqual(data["tags"], ["Magistrate"])
        self.assertEqual(len(data["lists"]), 1)
        self.assertEqual(data["extra"], {"profession": "juge"})
        self.assertEqual(data["sources"], ["roll"])
        self.assertIn("consent_change", [a["action"] for a in data["audit"]])
        self.assertIn("Plutôt pour", text)
        self.assertIn("agathe@example.org", text)
        self.assertTrue(
            AuditLogEntry.objects.filter(action="export", target_id=str(self.person.pk)).exists()
        )

    def test_the_text_export_holds_the_question_the_json_holds(self) -> None:
        interaction_record(
            actor=self.teammate,
            person=self.person,
            channel="phone",
            result="talked",
            occurred_at=at("2026-04-02T18:00"),
            question="Que pensez-vous du tramway ?",
        )
        json_bytes, text = person_subject_access_export(actor=self.owner, person=self.person)
        self.assertEqual(
            json.loads(json_bytes)["interactions"][1]["question"], "Que pensez-vous du tramway ?"
        )
        self.assertIn("Que pensez-vous du tramway ?", text)

    def test_the_text_export_says_every_value_the_json_holds(self) -> None:
        interaction_record(
            actor=self.teammate,
            person=self.person,
            channel="phone",
            result="talked",
            occurred_at=at("2026-04-02T18:00"),
            question="Que pensez-vous du tramway ?",
        )
        self.person.refresh_from_db()
        self.person.notes = "rappeler en mai"
        self.person.save(update_fields=["notes"])
        json_bytes, text = person_subject_access_export(actor=self.owner, person=self.person)

        def leaves(value: object) -> list[str]:
            if isinstance(value, dict):
                return [leaf for item in value.values() for leaf in leaves(item)]
            if isinstance(value, list):
                return [leaf for item in value for leaf in leaves(item)]
            if value is None or isinstance(value, bool) or value == "":
                return []
            return [str(value)]

        missing = [leaf for leaf in leaves(json.loads(json_bytes)) if leaf not in text]
        self.assertEqual(missing, [])

    def test_every_field_of_the_text_export_has_a_label(self) -> None:
        from maillage.people.services.gdpr import _LABELS, _RECORD, _SECTIONS

        data = json.loads(person_subject_access_export(actor=self.owner, person=self.person)[0])
        unlabelled = []
        for section, _title in _SECTIONS:
            value = {key: data[key] for key in _RECORD} if section == "record" else data[section]
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict) and section != "extra":  # extra: the file's headers
                    unlabelled += [f"{section}.{k}" for k in item if k not in _LABELS[section]]
        shown = {section for section, _title in _SECTIONS} | set(_RECORD) | {"id", "generated_at"}
        self.assertEqual((unlabelled, set(data) - shown), ([], set()))

    def test_erasure_deletes_everything_but_the_ledger_and_a_nameless_audit_entry(self) -> None:
        pk = self.person.pk
        person_erase(actor=self.owner, person=self.person)
        self.assertFalse(Person.objects.filter(pk=pk).exists())
        self.assertFalse(
            EmailAddress.objects.exists()
            or PhoneNumber.objects.exists()
            or Interaction.objects.exists()
            or Consent.objects.exists()
            or PersonTag.objects.exists()
        )
        key = identity_key("SECRET", "Agathe", 1980, 1, 2)
        hashes = set(SuppressionEntry.objects.filter(scope="all").values_list("kind", "value_hash"))
        self.assertEqual(
            hashes,
            {
                ("identity", suppression_hash(kind="identity", value=key)),
                ("email", suppression_hash(kind="email", value="agathe@example.org")),
                ("phone", suppression_hash(kind="phone", value="+33611111111")),
            },
        )
        dump = json.dumps(
            [[e.target_label, e.changes, e.actor_label] for e in AuditLogEntry.objects.all()],
            ensure_ascii=False,
        ).lower()
        for secret in ("secret", "agathe", "vélo", "juge", "0611", "+33611111111"):
            self.assertNotIn(secret, dump)
        self.assertTrue(AuditLogEntry.objects.filter(action="erasure", target_id=str(pk)).exists())

    def test_an_erased_persons_email_cannot_come_back_as_reachable(self) -> None:
        person_erase(actor=self.owner, person=self.person)
        newcomer = make_person(birth_name="AUTRE")
        email_add(actor=self.owner, person=newcomer, address="AGATHE@example.org")
        with self.assertRaises(ApplicationError):
            consent_record(
                actor=self.owner,
                person=newcomer,
                channel="email",
                granted=True,
                legal_basis="consent",
                source="import",
            )
        self.assertFalse(segment_queryset(user=self.owner, definition=REACHABLE_EMAIL).exists())
        self.assertTrue(
            is_suppressed(
                kind="identity",
                value=identity_key("SECRET", "Agathe", 1980, 1, 2),
                channel_scope="all",
            )
        )
