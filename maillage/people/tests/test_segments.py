"""The segment engine: every filter, groups, negation, overlaps, validation and scoping."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from unittest import mock

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone

from maillage.core.errors import NotFound
from maillage.core.tests.base import BaseTestCase
from maillage.people.forms import SegmentBuilderForm
from maillage.people.models import (
    Channel,
    EmailAddress,
    Interaction,
    Person,
    PhoneNumber,
    Segment,
    SupportLevel,
)
from maillage.people.segment_filters import (
    CompileContext,
    DescribeContext,
    SegmentFilter,
    base,
    register,
    segment_filters,
)
from maillage.people.selectors.people import SORTS, sort_people
from maillage.people.selectors.rows import ROW_FIELDS
from maillage.people.selectors.segments import (
    SegmentError,
    _definition_key,
    access_segment,
    segment_compiles_once,
    segment_count,
    segment_definition_describe,
    segment_export_header,
    segment_export_people,
    segment_export_rows,
    segment_page_rows,
    segment_people,
    segment_queryset,
    segment_referenced_ids,
)
from maillage.people.services.interactions import interaction_record
from maillage.people.services.persons import person_tags_add
from maillage.people.tests.helpers import assign, at, make_person, view_context

YEAR = timezone.localdate().year


def one(filter_: dict[str, Any], *, op: str = "and") -> dict[str, Any]:
    return {"op": op, "filters": [filter_]}


class SegmentFiltersTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.senior = make_person(
            birth_year=YEAR - 70, sex="F", polling_station_code="13055_0003", is_member=True
        )
        cls.young = make_person(
            birth_year=YEAR - 25,
            sex="M",
            commune_code="13001",
            polling_station_code="13001_0001",
            constituency_code="1314",
        )
        cls.middle = make_person(birth_year=YEAR - 45, sex="F", is_activist=True)
        cls.unknown_age = make_person(birth_year=None)
        person_tags_add(person=cls.middle, names=["Infirmière"])

    def ids(self, definition: dict[str, Any], user=None) -> set[int]:  # type: ignore[no-untyped-def]
        return set(
            segment_queryset(user=user or self.owner, definition=definition).values_list(
                "pk", flat=True
            )
        )

    def test_age_range_uses_the_calendar_year(self) -> None:
        self.assertEqual(self.ids(one({"field": "age", "min": 60, "max": None})), {self.senior.pk})
        self.assertEqual(
            self.ids(one({"field": "age", "min": 25, "max": 45})), {self.young.pk, self.middle.pk}
        )
        self.assertEqual(self.ids(one({"field": "age", "min": None, "max": 24})), set())

    def test_sex_and_areas(self) -> None:
        self.assertEqual(
            self.ids(one({"field": "sex", "value": "F"})), {self.senior.pk, self.middle.pk}
        )
        self.assertEqual(self.ids(one({"field": "commune", "values": ["13001"]})), {self.young.pk})
        self.assertEqual(
            self.ids(one({"field": "polling_station", "values": ["13055_0003", "13001_0001"]})),
            {self.senior.pk, self.young.pk},
        )
        self.assertEqual(
            self.ids(one({"field": "constituency", "values": ["1314"]})), {self.young.pk}
        )

    def test_tags_and_roles(self) -> None:
        self.assertEqual(
            self.ids(one({"field": "tag", "values": ["infirmiere", "absent"]})), {self.middle.pk}
        )
        self.assertEqual(
            self.ids(one({"field": "role", "values": ["member", "activist"]})),
            {self.senior.pk, self.middle.pk},
        )

    def test_current_support_and_support_change(self) -> None:
        def record(person: Person, level: int, when: str) -> None:
            interaction_record(
                actor=self.owner,
                person=person,
                channel="door",
                result="talked",
                support_level=level,
                occurred_at=at(when),
            )

        record(self.senior, SupportLevel.UNDECIDED, "2026-03-01T10:00")
        record(self.senior, SupportLevel.FOR, "2026-06-01T10:00")  # was undecided, now for
        record(self.young, SupportLevel.UNDECIDED, "2026-03-01T10:00")  # still undecided
        record(self.middle, SupportLevel.AGAINST, "2026-03-01T10:00")
        record(
            self.middle, SupportLevel.LEANING_FOR, "2026-06-01T10:00"
        )  # moved, but never undecided
        self.assertEqual(self.ids(one({"field": "support", "values": [3]})), {self.young.pk})
        self.assertEqual(
            self.ids(one({"field": "support_change", "from": [3], "to": [1, 2]})), {self.senior.pk}
        )
        self.assertEqual(
            self.ids(one({"field": "support_change", "from": [4, 5], "to": [1, 2]})),
            {self.middle.pk},
        )

    def test_last_interaction_channel_result_and_dates(self) -> None:
        Interaction.objects.create(
            person=self.senior,
            channel=Channel.DOOR,
            result="talked",
            occurred_at=at("2026-02-10T18:00"),
        )
        Interaction.objects.create(
            person=self.young,
            channel=Channel.PHONE,
            result="talked",
            occurred_at=at("2026-02-10T18:00"),
        )
        Interaction.objects.create(
            person=self.middle,
            channel=Channel.DOOR,
            result="not_home",
            occurred_at=at("2025-12-01T18:00"),
        )
        door_talk = {
            "field": "last_interaction",
            "channel": "door",
            "result": "talked",
            "since": "2026-01-01",
            "until": None,
        }
        self.assertEqual(self.ids(one(door_talk)), {self.senior.pk})
        self.assertEqual(
            self.ids(
                one(
                    {
                        "field": "last_interaction",
                        "channel": "door",
                        "since": None,
                        "until": "2026-01-31",
                    }
                )
            ),
            {self.middle.pk},
        )
        self.assertEqual(
            self.ids(
                one({"field": "last_interaction", "since": "2026-02-10", "until": "2026-02-10"})
            ),
            {self.senior.pk, self.young.pk},
        )

    def test_not_contacted_since(self) -> None:
        interaction_record(
            actor=self.owner,
            person=self.senior,
            channel="door",
            result="talked",
            occurred_at=at("2026-10-05T10:00"),
        )
        interaction_record(
            actor=self.owner,
            person=self.young,
            channel="door",
            result="talked",
            occurred_at=at("2026-09-05T10:00"),
        )
        self.assertEqual(
            self.ids(one({"field": "not_contacted_since", "date": "2026-10-01"})),
            {self.young.pk, self.middle.pk, self.unknown_age.pk},
        )

    def test_reachable_needs_a_usable_address_and_consent(self) -> None:
        Person.objects.filter(pk__in=[self.senior.pk, self.young.pk]).update(
            consent_email=True, consent_sms=True, consent_phone=True
        )
        EmailAddress.objects.create(person=self.senior, address="s@example.org")
        EmailAddress.objects.create(person=self.young, address="y@example.org", status="bounced")
        EmailAddress.objects.create(person=self.middle, address="m@example.org")  # no consent
        PhoneNumber.objects.create(
            person=self.young, number="+33491000000", kind=PhoneNumber.Kind.LANDLINE
        )
        self.assertEqual(
            self.ids(one({"field": "reachable", "channel": "email"})), {self.senior.pk}
        )
        self.assertEqual(self.ids(one({"field": "reachable", "channel": "phone"})), {self.young.pk})
        self.assertEqual(self.ids(one({"field": "reachable", "channel": "sms"})), set())

    def test_email_bounced_finds_people_with_an_address_that_bounced(self) -> None:
        EmailAddress.objects.create(person=self.senior, address="s@example.org", status="bounced")
        EmailAddress.objects.create(person=self.young, address="y@example.org")
        EmailAddress.objects.create(person=self.young, address="y2@example.org", status="bounced")
        EmailAddress.objects.create(person=self.middle, address="m@example.org", status="invalid")
        bounced = one({"field": "email_bounced"})
        self.assertEqual(self.ids(bounced), {self.senior.pk, self.young.pk})
        self.assertEqual(
            self.ids(one({"field": "email_bounced", "negate": True})),
            {self.middle.pk, self.unknown_age.pk},
        )
        self.assertEqual(
            segment_definition_describe(
                {"op": "and", "filters": [{"field": "sex", "value": "F"}, *bounced["filters"]]}
            ),
            "Femme ET a une adresse e-mail en échec",
        )
        # The builder offers it as a checkbox, and a saved segment opens on it.
        form = SegmentBuilderForm({"op": "and", "email_bounced": "on"})
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.compiled, bounced)
        self.assertEqual(SegmentBuilderForm.initial_from(bounced)["email_bounced"], True)

    def test_nested_groups_and_negation(self) -> None:
        definition = {
            "op": "or",
            "filters": [
                {
                    "op": "and",
                    "filters": [
                        {"field": "sex", "value": "F"},
                        {"field": "age", "min": 60, "max": None},
                    ],
                },
                {
                    "op": "and",
                    "filters": [
                        {"field": "sex", "value": "F"},
                        {"field": "role", "values": ["activist"]},
                    ],
                    "negate": True,
                },
            ],
        }
        # The senior woman, plus everyone who is not a female activist.
        self.assertEqual(self.ids(definition), {self.senior.pk, self.young.pk, self.unknown_age.pk})
        self.assertEqual(
            self.ids(one({"field": "sex", "value": "F", "negate": True})),
            {self.young.pk, self.unknown_age.pk},
        )

    def test_negated_support_keeps_people_without_a_level(self) -> None:
        interaction_record(
            actor=self.owner,
            person=self.senior,
            channel="door",
            result="talked",
            support_level=5,
            occurred_at=at("2026-03-01T10:00"),
        )
        self.assertEqual(
            self.ids(one({"field": "support", "values": [5], "negate": True})),
            {self.young.pk, self.middle.pk, self.unknown_age.pk},
        )

    def test_or_of_two_overlapping_segments_counts_each_person_once(self) -> None:
        women = Segment.objects.create(
            name="Femmes", definition=one({"field": "sex", "value": "F"})
        )
        person_tags_add(person=self.senior, names=["Infirmière", "Retraitée"])
        nurses = Segment.objects.create(
            name="Infirmières",
            definition=one({"field": "tag", "values": ["infirmiere", "retraitee"]}),
        )
        both = {
            "op": "or",
            "filters": [
                {"field": "segment", "id": women.pk},
                {"field": "segment", "id": nurses.pk},
            ],
        }
        self.assertEqual(segment_count(user=self.owner, definition=both), 2)
        self.assertEqual(
            segment_count(user=self.owner, definition={"op": "and", "filters": both["filters"]}), 2
        )
        self.assertEqual(
            segment_queryset(user=self.owner, definition=both).count(),
            len(
                set(segment_queryset(user=self.owner, definition=both).values_list("pk", flat=True))
            ),
        )

    def test_an_empty_definition_is_everyone_in_scope(self) -> None:
        self.assertEqual(segment_count(user=self.owner, definition={"op": "and", "filters": []}), 4)

    def test_segments_are_always_cut_to_the_users_scope(self) -> None:
        assign([self.senior], teams=[self.team])
        self.assertEqual(
            self.ids({"op": "and", "filters": []}, user=self.teammate), {self.senior.pk}
        )
        self.assertEqual(self.ids(one({"field": "sex", "value": "M"}), user=self.teammate), set())

    def test_it_compiles_in_one_query_per_referenced_segment(self) -> None:
        inner = Segment.objects.create(
            name="Jeunes", definition=one({"field": "age", "max": 30, "min": None})
        )
        definition = {
            "op": "and",
            "filters": [{"field": "segment", "id": inner.pk}, {"field": "sex", "value": "M"}],
        }
        with self.assertNumQueries(2):  # the referenced definition, then the count
            self.assertEqual(segment_count(user=self.owner, definition=definition), 1)


class SegmentValidationTestCase(BaseTestCase):
    def assertRejected(self, definition: Any, fragment: str) -> None:
        with self.assertRaises(SegmentError) as caught:
            segment_queryset(user=self.owner, definition=definition)
        self.assertIn(fragment, caught.exception.message)

    def test_it_rejects_unknown_fields_operators_and_values(self) -> None:
        self.assertRejected(one({"field": "zodiac", "values": ["lion"]}), "Filtre inconnu")
        self.assertRejected({"op": "xor", "filters": []}, "Opérateur inconnu")
        self.assertRejected(one({"field": "role", "values": ["astronaut"]}), "Rôle inconnu")
        self.assertRejected(one({"field": "support", "values": [7]}), "niveau de soutien")
        self.assertRejected(one({"field": "commune", "values": []}), "au moins une valeur")
        self.assertRejected(one({"field": "reachable", "channel": "pigeon"}), "joignable")
        self.assertRejected(
            one({"field": "not_contacted_since", "date": "31/12/2026"}), "Date invalide"
        )
        self.assertRejected(
            one({"field": "last_interaction", "channel": "telepathy"}), "Canal inconnu"
        )
        self.assertRejected(one({"field": "sex", "value": "X"}), "sexe")

    def test_it_rejects_bad_age_ranges(self) -> None:
        self.assertRejected(one({"field": "age", "min": 70, "max": 20}), "Tranche d'âge impossible")
        self.assertRejected(one({"field": "age", "min": -1, "max": None}), "entier entre 0 et 130")
        self.assertRejected(one({"field": "age", "min": None, "max": None}), "minimum")

    def test_it_rejects_segment_cycles_and_missing_segments(self) -> None:
        a = Segment.objects.create(name="A", definition={"op": "and", "filters": []})
        b = Segment.objects.create(name="B", definition=one({"field": "segment", "id": a.pk}))
        a.definition = one({"field": "segment", "id": b.pk})
        a.save()
        self.assertRejected(one({"field": "segment", "id": a.pk}), "lui-même")
        self.assertRejected(one({"field": "segment", "id": 99999}), "n'existe pas")

    def test_a_date_filter_needs_a_date(self) -> None:
        self.assertRejected(one({"field": "not_contacted_since"}), "demande une date")


def _as_post(initial: dict[str, Any]) -> dict[str, Any]:
    """What the browser posts back when the builder opens on these initial values."""
    return {k: ("" if v is None else v) for k, v in initial.items()}


class SegmentBuilderRoundTripTestCase(BaseTestCase):
    """Editing a segment opens the builder on its saved definition; saving unchanged must keep
    exactly that definition, whichever fields (flat or JSON) the builder shows it in."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.a = Segment.objects.create(name="A", definition={"op": "and", "filters": []})
        cls.b = Segment.objects.create(name="B", definition={"op": "and", "filters": []})

    def _round_trip(self, definition: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        initial = SegmentBuilderForm.initial_from(definition)
        form = SegmentBuilderForm(_as_post(initial))
        self.assertTrue(form.is_valid(), form.errors)
        return initial, form.compiled

    def test_definitions_the_flat_fields_can_say_open_in_them_and_save_unchanged(self) -> None:
        flat = [
            {"op": "and", "filters": []},
            {
                "op": "and",
                "filters": [
                    {"field": "age", "min": 60, "max": None},
                    {"field": "sex", "value": "F"},
                    {"field": "commune", "values": ["13055", "2A004"]},
                    {"field": "polling_station", "values": ["13055_0003"]},
                    {"field": "constituency", "values": ["1303"]},
                    {"field": "tag", "values": ["infirmiere"]},
                    {"field": "role", "values": ["member", "activist"]},
                    {"field": "support", "values": [1, 2]},
                    {"field": "support_change", "from": [3], "to": [1, 2]},
                    {
                        "field": "last_interaction",
                        "channel": "door",
                        "result": None,
                        "since": "2026-03-01",
                        "until": None,
                    },
                    {"field": "reachable", "channel": "sms"},
                    {"field": "not_contacted_since", "date": "2026-05-01"},
                    {"op": "or", "filters": [{"field": "segment", "id": self.a.pk}]},
                    {"field": "segment", "id": self.b.pk, "negate": True},
                ],
            },
            {
                "op": "or",
                "filters": [
                    {"field": "age", "min": None, "max": 30},
                    {
                        "op": "or",
                        "filters": [
                            {"field": "segment", "id": self.a.pk},
                            {"field": "segment", "id": self.b.pk},
                        ],
                    },
                ],
            },
        ]
        for definition in flat:
            with self.subTest(definition=definition):
                initial, compiled = self._round_trip(definition)
                self.assertEqual(initial["definition_json"], "")
                self.assertEqual(compiled, definition)
        initial = SegmentBuilderForm.initial_from(flat[1])
        self.assertEqual(
            (initial["age_min"], initial["support_from"], initial["not_in_segments"]),
            (60, [3], [self.b.pk]),
        )

    def test_definitions_beyond_the_flat_fields_open_as_json_and_save_unchanged(self) -> None:
        beyond = [
            {"op": "and", "filters": [{"field": "sex", "value": "M", "negate": True}]},
            {
                "op": "or",
                "filters": [
                    {"field": "sex", "value": "F"},
                    {"op": "and", "filters": [{"field": "support", "values": [3]}]},
                ],
            },
            {"op": "and", "filters": [{"field": "age", "min": 18}, {"field": "age", "max": 30}]},
            {
                "op": "and",
                "filters": [
                    {
                        "field": "last_interaction",
                        "channel": "phone",
                        "since": "2026-01-01",
                        "until": "2026-02-01",
                    }
                ],
            },
            {"op": "and", "negate": True, "filters": [{"field": "sex", "value": "F"}]},
            {
                "op": "and",
                "filters": [
                    {"field": "segment", "id": self.a.pk},
                    {"field": "segment", "id": self.b.pk},
                ],
            },
        ]
        gone = {
            "op": "and",
            "filters": [{"field": "segment", "id": self.b.pk + 100, "negate": True}],
        }
        self.assertEqual(json.loads(SegmentBuilderForm.initial_from(gone)["definition_json"]), gone)
        for definition in beyond:
            with self.subTest(definition=definition):
                initial, compiled = self._round_trip(definition)
                self.assertNotEqual(initial["definition_json"], "")
                self.assertEqual(compiled, definition)


class SegmentDescriptionTestCase(BaseTestCase):
    def test_a_definition_reads_as_words_with_its_groups_and_negations(self) -> None:
        definition = {
            "op": "and",
            "filters": [
                {"field": "age", "min": 60, "max": 90},
                {"field": "polling_station", "values": ["13055_0003", "13055_0004"]},
                {
                    "op": "or",
                    "filters": [
                        {"field": "support", "values": [3]},
                        {"field": "support_change", "from": [3], "to": [1, 2]},
                    ],
                },
                {"field": "segment", "id": 7, "negate": True},
                {"field": "segment", "id": 8},
                {"field": "last_interaction", "channel": "door", "since": "2026-03-01"},
            ],
        }
        self.assertEqual(
            segment_definition_describe(definition, segment_names={7: "Déjà vus"}),
            "de 60 à 90 ans ET bureau de vote : 13055_0003, 13055_0004"
            " ET (soutien actuel : Indécis OU était Indécis, est maintenant Pour ou Plutôt pour)"
            " ET NON dans le segment « Déjà vus » ET segment n°8 (supprimé)"
            " ET contacté·e par Porte-à-porte depuis le 01/03/2026",
        )
        self.assertEqual(segment_referenced_ids(definition), {7, 8})
        self.assertEqual(segment_definition_describe({"op": "and", "filters": []}), "tout le monde")
        self.assertEqual(
            segment_definition_describe({"op": "or", "filters": []}), "aucune personne"
        )
        self.assertEqual(
            segment_definition_describe(
                {
                    "op": "or",
                    "negate": True,
                    "filters": [
                        one({"field": "sex", "value": "F"}),
                        one({"field": "age", "max": 25}),
                    ],
                }
            ),
            "NON (Femme OU 25 ans et moins)",
        )


class _Unsubscribed(SegmentFilter):
    """A filter as another app would add it: one class, nothing else to edit."""

    field = "test_unsubscribed"
    order = 115

    def q(self, flt: dict[str, Any], ctx: CompileContext) -> Q:
        return Q(consent_email=False)

    def describe(self, flt: dict[str, Any], ctx: DescribeContext) -> str:
        return "désabonné·e"

    def form_fields(self, *, segment_id: int | None) -> dict[str, forms.Field]:
        return {"unsubscribed": forms.BooleanField(label="Désabonné·e", required=False)}

    def from_form(self, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{"field": self.field}] if data.get("unsubscribed") else []

    def to_form(self, item: dict[str, Any], fields: dict[str, Any]) -> bool:
        return self.put(fields, "unsubscribed", True)


class SegmentFilterRegistryTestCase(BaseTestCase):
    def test_the_people_filters_are_registered_in_the_builders_order(self) -> None:
        self.assertEqual(
            [
                flt.field
                for flt in segment_filters()
                if type(flt).__module__.startswith("maillage.people.")  # other apps add theirs
            ],
            [
                "age",
                "sex",
                "commune",
                "polling_station",
                "constituency",
                "geocode",
                "tag",
                "role",
                "support",
                "support_change",
                "followup",
                "last_interaction",
                "contacted_within_days",
                "reachable",
                "email_bounced",
                "not_contacted_since",
                "not_over_contact_cap",
                "segment",
            ],
        )

    def test_a_registered_filter_is_compiled_described_and_offered_by_the_builder(self) -> None:
        unsubscribed = make_person(consent_email=False)
        Person.objects.exclude(pk=unsubscribed.pk).update(consent_email=True)
        make_person(consent_email=True)
        definition = one({"field": "test_unsubscribed"})
        with mock.patch.dict(base._registry):
            register(_Unsubscribed)
            self.assertEqual(
                set(segment_queryset(user=self.owner, definition=definition)), {unsubscribed}
            )
            self.assertEqual(
                segment_definition_describe(
                    {
                        "op": "or",
                        "filters": [{"field": "sex", "value": "F"}, *definition["filters"]],
                    }
                ),
                "Femme OU désabonné·e",
            )
            form = SegmentBuilderForm({"op": "and", "unsubscribed": "on", "sex": "F"})
            self.assertTrue(form.is_valid(), form.errors)
            # In the registry's order: sex (20) before this filter (115).
            self.assertEqual(
                form.compiled["filters"],
                [{"field": "sex", "value": "F"}, {"field": "test_unsubscribed"}],
            )
            self.assertEqual(SegmentBuilderForm.initial_from(definition)["unsubscribed"], True)
        with self.assertRaises(SegmentError):
            segment_queryset(user=self.owner, definition=definition)
        self.assertNotIn("unsubscribed", SegmentBuilderForm().fields)

    def test_filters_are_discovered_in_each_apps_own_module(self) -> None:
        def import_module(name: str) -> None:
            if name == "maillage.core.segment_filters":  # what that module's body would do
                register(_Unsubscribed)
            elif name != "maillage.people.segment_filters":
                raise ModuleNotFoundError(name=name)

        with (
            mock.patch.dict(base._registry),
            mock.patch.object(base, "_discovered", False),
            mock.patch.object(base, "import_module", side_effect=import_module),
        ):
            self.assertIn("test_unsubscribed", [flt.field for flt in segment_filters()])
            self.assertIn("unsubscribed", SegmentBuilderForm().fields)

    def test_a_broken_filter_module_is_not_mistaken_for_a_missing_one(self) -> None:
        def import_module(name: str) -> None:
            raise ModuleNotFoundError(name="maillage.nowhere")

        with (
            mock.patch.object(base, "_discovered", False),
            mock.patch.object(base, "import_module", side_effect=import_module),
            self.assertRaises(ModuleNotFoundError),
        ):
            segment_filters()

    def test_two_filters_cannot_claim_one_field(self) -> None:
        class Impostor(_Unsubscribed):
            field = "sex"

        with mock.patch.dict(base._registry), self.assertRaises(ImproperlyConfigured):
            register(Impostor)


class SegmentExportSelectorTestCase(BaseTestCase):
    def test_the_export_rows_match_the_header_with_the_primary_email_and_the_support(self) -> None:
        segment = Segment.objects.create(name="Tous", definition={"op": "and", "filters": []})
        person = make_person(
            birth_name="MARTIN",
            first_names="Lise",
            birth_year=1960,
            birth_month=4,
            birth_day=9,
            polling_station_code="13055_0003",
            current_support=SupportLevel.FOR,
        )
        EmailAddress.objects.create(person=person, address="autre@example.org")
        EmailAddress.objects.create(person=person, address="lise@example.org", is_primary=True)
        make_person(birth_name="ABEL", polling_station_code="13055_0001")
        people = segment_export_people(user=self.owner, segment=segment)
        rows = list(segment_export_rows(people))
        header = segment_export_header()
        self.assertEqual([row[1] for row in rows], ["ABEL", "MARTIN"])  # by polling station
        martin = dict(zip(header, rows[1], strict=True))
        self.assertEqual(
            (martin["naissance"], martin["e-mail"], martin["téléphone"], martin["soutien"]),
            ("09/04/1960", "lise@example.org", "", "Pour"),
        )
        self.assertEqual(rows[0][-1], "")  # no support level expressed


class SegmentPageCompiledTestCase(BaseTestCase):
    """A segment whose filters all compile once has its page's count and rows read through SQL
    compiled once (`segment_page_rows`): the same as the ORM's, page by page, for every sort."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for n, (name, first) in enumerate(
            [
                ("ADAM", "Zoé"),
                ("ÉLUARD", "Paul"),
                ("ADAMO", "Alain"),
                ("BRUN", "Léa"),
                ("CAMUS", "Albert"),
                ("ZOLA", "Émile"),
            ]
        ):
            person = make_person(
                birth_name=name,
                first_names=first,
                birth_year=YEAR - 60 - n,
                polling_station_code="13055_0003" if n % 3 else "13055_0001",
                roll_number=n,
            )
            Person.objects.filter(pk=person.pk).update(current_support=[1, 3, None][n % 3])
        cls.segment = Segment.objects.create(
            name="Seniors du 3",
            definition={
                "op": "and",
                "filters": [
                    {"field": "age", "min": 60},
                    {"field": "polling_station", "values": ["13055_0003"]},
                ],
            },
        )

    def orm_rows(self, sort: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
        people = segment_people(user=self.owner, segment=self.segment, sort=sort)
        matches = people.count()
        return matches, list(sort_people(people, sort, matches=matches).values(*ROW_FIELDS))

    def test_which_definitions_compile_once(self) -> None:
        self.assertTrue(segment_compiles_once(self.segment.definition))
        nested = {
            "op": "or",
            "filters": [self.segment.definition, {"field": "sex", "values": ["F"]}],
        }
        self.assertTrue(segment_compiles_once(nested))
        for field in (
            "contacted_within_days",
            "segment",
            "followup",
            "not_over_contact_cap",
            "nope",
        ):
            with self.subTest(field=field):
                definition = {
                    "op": "and",
                    "filters": [{"field": "age", "min": 60}, {"field": field}],
                }
                self.assertFalse(segment_compiles_once(definition))

    def test_the_compiled_page_is_the_orms(self) -> None:
        # Sorted as found in two steps (the page's ids, then its rows), and, for a segment as
        # large as SORT_MATCHES_BELOW, by walking the sort key's index: the same rows.
        for below in (20_000, 0):
            for sort in SORTS:
                with (
                    self.subTest(sort=sort, below=below),
                    mock.patch("maillage.people.selectors.segments.SORT_MATCHES_BELOW", below),
                ):
                    matches, fetch = segment_page_rows(
                        user=self.owner, segment=self.segment, sort=sort
                    )
                    self.assertTrue(callable(fetch))
                    expected_count, expected = self.orm_rows(sort)
                    self.assertEqual(matches, expected_count)
                    self.assertEqual(matches, 4)
                    pages = fetch(0, 2) + fetch(2, 10) + fetch(3, 1)  # type: ignore[operator]
                    self.assertEqual(pages, expected + expected[3:4])
                    self.assertEqual(fetch(0, 0), [])  # type: ignore[operator]  # an empty page

    def test_a_changed_definition_is_compiled_again(self) -> None:
        matches, _fetch = segment_page_rows(user=self.owner, segment=self.segment, sort="name")
        # A bulk update leaves updated_at alone: the key is the definition itself.
        definition = {"op": "and", "filters": [{"field": "age", "min": 60}]}
        Segment.objects.filter(pk=self.segment.pk).update(definition=definition)
        self.segment.refresh_from_db()
        again, _fetch = segment_page_rows(user=self.owner, segment=self.segment, sort="name")
        self.assertEqual((matches, again), (4, 6))

    def test_the_segment_page_shows_the_compiled_rows(self) -> None:
        self.login(self.owner)
        response = self.client.get(f"/people/segments/{self.segment.pk}/", {"sort": "-age"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(view_context(response)["page"].paginator.count, 4)
        names = [row["name"] for row in response.context["rows"]]
        self.assertEqual(len(names), 4)
        self.assertEqual(names[0], "ZOLA Émile")  # the oldest first

    def test_access_segment_reads_the_segment_with_its_definition(self) -> None:
        found = access_segment(user=self.owner, segment_id=str(self.segment.pk))
        self.assertEqual(found, self.segment)
        self.assertEqual(found.definition, self.segment.definition)  # a dict, not JSON text
        self.assertEqual(found.name, "Seniors du 3")
        for missing in (self.segment.pk + 1000, "x1", str(2**63), "9" * 40):
            with self.subTest(segment_id=missing), self.assertRaises(NotFound):
                access_segment(user=self.owner, segment_id=missing)
        with self.assertRaises(NotFound):  # below organiser
            access_segment(user=self.teammate, segment_id=self.segment.pk)

    def test_the_first_rows_come_with_the_count_by_the_last_plan(self) -> None:
        from maillage.people.selectors import segments as module

        module._LARGE_LAST_TIME.clear()
        expected_count, expected = self.orm_rows("name")
        with self.assertNumQueries(1):  # never counted here: the count alone
            matches, fetch = segment_page_rows(
                user=self.owner, segment=self.segment, sort="name", first_page=(0, 2)
            )
        self.assertEqual(matches, expected_count)
        with self.assertNumQueries(1):
            self.assertEqual(fetch(0, 2), expected[:2])  # type: ignore[operator]
        with self.assertNumQueries(2):  # the count and the first page, in one round trip
            matches, fetch = segment_page_rows(
                user=self.owner, segment=self.segment, sort="name", first_page=(0, 2)
            )
        with self.assertNumQueries(0):
            self.assertEqual(fetch(0, 2), expected[:2])  # type: ignore[operator]
            self.assertEqual(fetch(0, 1), expected[:1])  # type: ignore[operator]
        with self.assertNumQueries(1):  # another page
            self.assertEqual(fetch(2, 2), expected[2:4])  # type: ignore[operator]
        # The segment has grown past the line since its last count: the rows read with the
        # count took the other plan, and are read again by the right one.
        with mock.patch("maillage.people.selectors.segments.SORT_MATCHES_BELOW", 3):
            matches, fetch = segment_page_rows(
                user=self.owner, segment=self.segment, sort="name", first_page=(0, 2)
            )
            with self.assertNumQueries(1):
                self.assertEqual(fetch(0, 2), expected[:2])  # type: ignore[operator]
        self.assertTrue(module._LARGE_LAST_TIME[("segment-page", *_definition_key(self.segment))])
