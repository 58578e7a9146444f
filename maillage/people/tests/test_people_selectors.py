"""Scoping, quick search and area counts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from unittest.mock import patch

from django.db import connection, connections
from django.db.models import Exists
from django.test import TransactionTestCase
from django.utils import timezone

from maillage.accounts.models import User, Zone
from maillage.accounts.tests.factories import UserFactory
from maillage.core.compiled import compiled_instances_together
from maillage.core.errors import NotFound
from maillage.core.models import AuditLogEntry
from maillage.core.pagination import Total
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people import assignment_sources
from maillage.people.models import (
    Channel,
    Consent,
    EmailAddress,
    Interaction,
    Person,
    PersonTag,
    PhoneNumber,
    SupportLevel,
    Tag,
)
from maillage.people.selectors.people import (
    _SHEET_READS,
    SORT_MATCHES_BELOW,
    SORTS,
    PersonSheetRows,
    _household_of,
    _sources_key,
    access_person,
    assigned_people_ids,
    assigned_people_sql,
    household_members,
    people_counts_by_area,
    people_in_scope,
    people_visible_to,
    person_list_page,
    person_list_rows,
    person_list_total,
    person_search,
    person_sheet,
    person_sheet_rows,
    sort_people,
)
from maillage.people.selectors.rows import ROW_FIELDS
from maillage.people.services.persons import person_sheet_view_entry, person_update
from maillage.people.tests.helpers import assign, at, make_person


class ScopingTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.marseille = make_person(
            birth_name="MARTIN",
            commune_code="13055",
            department_code="13",
            constituency_code="1303",
        )
        cls.aix = make_person(
            birth_name="BERNARD",
            commune_code="13001",
            department_code="13",
            constituency_code="1314",
        )
        cls.lyon = make_person(
            birth_name="DURAND",
            commune_code="69123",
            department_code="69",
            constituency_code="6901",
        )
        cls.listed = make_person(
            birth_name="PETIT", commune_code="69123", department_code="69", constituency_code="6901"
        )
        cls.team_list = assign([cls.marseille], teams=[cls.team])
        cls.own_list = assign([cls.listed], users=[cls.outsider])

    def visible(self, user) -> set[int]:  # type: ignore[no-untyped-def]
        return set(people_visible_to(user=user).values_list("pk", flat=True))

    def test_staff_and_admin_see_everyone(self) -> None:
        everyone = {self.marseille.pk, self.aix.pk, self.lyon.pk, self.listed.pk}
        self.assertEqual(self.visible(self.owner), everyone)
        self.assertEqual(self.visible(self.admin), everyone)

    def test_a_volunteer_sees_the_lists_of_their_team(self) -> None:
        self.assertEqual(self.visible(self.teammate), {self.marseille.pk})

    def test_a_volunteer_sees_the_lists_assigned_to_them(self) -> None:
        self.assertEqual(self.visible(self.outsider), {self.listed.pk})

    def test_a_team_leader_sees_only_assigned_lists_even_with_a_zone(self) -> None:
        leader = UserFactory(role=Role.TEAM_LEADER)
        leader.zones.add(Zone.objects.create(name="Bouches-du-Rhône", code="13"))
        self.assertEqual(self.visible(leader), set())

    def test_an_organiser_sees_their_zones_by_department_commune_or_constituency(self) -> None:
        organiser = UserFactory(role=Role.ORGANISER)
        organiser.zones.add(Zone.objects.create(name="Aix", code="13001"))
        self.assertEqual(self.visible(organiser), {self.aix.pk})
        organiser.zones.add(Zone.objects.create(name="3e circo", code="1303"))
        self.assertEqual(self.visible(organiser), {self.aix.pk, self.marseille.pk})
        organiser.zones.add(Zone.objects.create(name="Rhône", code="69"))
        self.assertEqual(
            self.visible(organiser), {self.aix.pk, self.marseille.pk, self.lyon.pk, self.listed.pk}
        )

    def test_an_organiser_also_sees_their_lists(self) -> None:
        organiser = UserFactory(role=Role.ORGANISER)
        assign([self.lyon], users=[organiser])
        self.assertEqual(self.visible(organiser), {self.lyon.pk})

    def test_a_supporter_sees_nobody(self) -> None:
        supporter = UserFactory(role=Role.SUPPORTER)
        assign([self.lyon], users=[supporter])
        self.assertEqual(self.visible(supporter), set())

    def test_a_person_in_two_assigned_lists_is_listed_once(self) -> None:
        assign([self.marseille], users=[self.teammate])
        self.assertEqual(people_visible_to(user=self.teammate).count(), 1)

    def test_people_assigned_by_another_app_open_to_that_user_only(self) -> None:
        # A feature app (a canvassing turf, a phone-bank claim) registers its own assignments.
        # A source depends on the user's id in its SQL (the scope is compiled once for a
        # placeholder id, see `assigned_people_sql`): here, Lyon for the outsider's id only.
        lyon_pk, outsider_email = self.lyon.pk, self.outsider.email

        def handed_lyon(user):  # type: ignore[no-untyped-def]
            is_outsider = User.objects.filter(pk=user.pk, email=outsider_email)
            return Person.objects.filter(Exists(is_outsider), pk=lyon_pk).values("pk")

        with patch.dict(assignment_sources._sources, {"test": handed_lyon}):
            self.assertEqual(self.visible(self.outsider), {self.listed.pk, self.lyon.pk})
            self.assertEqual(self.visible(self.teammate), {self.marseille.pk})
            self.assertEqual(access_person(user=self.outsider, person_id=lyon_pk), self.lyon)
        self.assertEqual(self.visible(self.outsider), {self.listed.pk})

    def test_the_compiled_scope_is_the_scope_of_each_user_and_of_the_day(self) -> None:
        # Compiled once for a placeholder id, then given each user's id: the same people as
        # the querysets built for that user, for every registered source, today and tomorrow
        # (a turf assignment runs between two dates).
        assign([self.aix], users=[self.teammate])
        for user in (self.teammate, self.outsider, self.owner):
            expected = set(assigned_people_ids(user=user).values_list("person_id", flat=True))
            compiled = set(
                Person.objects.filter(pk__in=assigned_people_sql(user=user)).values_list(
                    "pk", flat=True
                )
            )
            self.assertEqual(compiled, expected, user.email)
        self.assertEqual(
            set(
                Person.objects.filter(pk__in=assigned_people_sql(user=self.teammate)).values_list(
                    "pk", flat=True
                )
            ),
            {self.marseille.pk, self.aix.pk},
        )
        # The turfs' source compares dates: tomorrow's scope is compiled with tomorrow's date.
        tomorrow = timezone.localdate() + timedelta(days=1)
        with patch("django.utils.timezone.localdate", return_value=tomorrow):
            _sql, params = assigned_people_sql(user=self.outsider).as_sql(None, None)
        self.assertIn(self.outsider.pk, params)
        dates = {str(param) for param in params}  # SQLite's backend passes dates as text
        self.assertIn(tomorrow.isoformat(), dates)
        self.assertNotIn(timezone.localdate().isoformat(), dates)

    def test_the_dashboard_counts_compiled_once_are_the_scopes_counts(self) -> None:
        from maillage.people.dashboard import _counts_in_scope, _scope_aggregates

        assign([self.aix, self.lyon], users=[self.teammate])
        Person.objects.filter(pk=self.aix.pk).update(current_support=SupportLevel.UNDECIDED)
        for sees_support in (False, True):
            for user in (self.teammate, self.outsider):
                expected = people_visible_to(user=user).aggregate(**_scope_aggregates(sees_support))
                counts = _counts_in_scope(user=user, sees_support=sees_support)
                self.assertEqual(counts, expected, (user.email, sees_support))
        counts = _counts_in_scope(user=self.teammate, sees_support=True)
        self.assertEqual((counts["people"], counts["undecided"]), (3, 1))

    def test_people_in_scope_holds_only_visible_people_and_only_for_its_user(self) -> None:
        scope = people_in_scope(
            user=self.teammate, person_ids=[self.marseille.pk, self.lyon.pk, self.listed.pk]
        )
        self.assertEqual(set(scope.people), {self.marseille.pk})
        self.assertEqual(
            scope.person(user=self.teammate, person_id=self.marseille.pk), self.marseille
        )
        with self.assertRaises(NotFound):
            scope.person(user=self.teammate, person_id=self.lyon.pk)
        with self.assertRaises(ValueError):  # another user's scope is never borrowed
            scope.person(user=self.outsider, person_id=self.marseille.pk)

    def test_access_person_refuses_people_out_of_scope(self) -> None:
        self.assertEqual(
            access_person(user=self.teammate, person_id=self.marseille.pk), self.marseille
        )
        with self.assertRaises(NotFound):
            access_person(user=self.teammate, person_id=self.lyon.pk)
        with self.assertRaises(NotFound):
            access_person(user=self.teammate, person_id="abc")


class SearchTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.helene = make_person(birth_name="LEFÈVRE-DUPONT", first_names="Hélène Marie")
        cls.henri = make_person(birth_name="LEMAIRE", first_names="Henri")
        EmailAddress.objects.create(person=cls.helene, address="helene@example.org")
        PhoneNumber.objects.create(person=cls.henri, number="+33612345678")

    def found(self, query: str, user=None) -> set[int]:  # type: ignore[no-untyped-def]
        return set(person_search(user=user or self.owner, query=query).values_list("pk", flat=True))

    def test_it_finds_by_name_prefix_without_accents(self) -> None:
        self.assertEqual(self.found("lefev"), {self.helene.pk})
        self.assertEqual(self.found("Hélè"), {self.helene.pk})
        self.assertEqual(self.found("dupont hel"), {self.helene.pk})
        self.assertEqual(self.found("le"), {self.helene.pk, self.henri.pk})
        self.assertEqual(self.found("upont"), set())

    def test_it_finds_by_email_and_by_phone_in_any_format(self) -> None:
        self.assertEqual(self.found("Helene@Example.org"), {self.helene.pk})
        self.assertEqual(self.found("06 12 34 56 78"), {self.henri.pk})
        self.assertEqual(self.found("+33 6 12 34 56 78"), {self.henri.pk})

    def test_it_searches_within_scope_only(self) -> None:
        self.assertEqual(self.found("lefev", user=self.teammate), set())


class CountsByAreaTestCase(BaseTestCase):
    def test_it_counts_people_contacts_reachable_activists_and_canvassed_per_code(self) -> None:
        a = make_person(polling_station_code="13055_0001", is_contact=True, consent_email=True)
        EmailAddress.objects.create(person=a, address="a@example.org")
        b = make_person(polling_station_code="13055_0001", is_activist=True)
        Interaction.objects.create(
            person=b, channel=Channel.DOOR, result="talked", occurred_at=at("2026-05-01T10:00")
        )
        Interaction.objects.create(
            person=b, channel=Channel.DOOR, result="talked", occurred_at=at("2026-05-02T10:00")
        )
        make_person(polling_station_code="13055_0002")
        make_person(polling_station_code="13055_0009")
        with self.assertNumQueries(1):
            counts = people_counts_by_area(
                user=self.owner,
                area_type="polling_station",
                codes=["13055_0001", "13055_0002", "13055_0003"],
            )
        self.assertEqual(
            counts["13055_0001"],
            {
                "people": 2,
                "contacts": 1,
                "reachable": 1,
                "activists": 1,
                "canvassed": 1,
                "doors": 1,
            },
        )
        self.assertEqual(counts["13055_0002"]["people"], 1)
        self.assertNotIn("13055_0003", counts)
        self.assertNotIn("13055_0009", counts)

    def test_it_counts_only_people_in_scope(self) -> None:
        make_person(commune_code="13055")
        self.assertEqual(
            people_counts_by_area(user=self.teammate, area_type="commune", codes=["13055"]), {}
        )

    def test_counts_are_cached_per_scope_and_never_shared_between_volunteers(self) -> None:
        mine = make_person(commune_code="13055")
        make_person(commune_code="13055")
        assign([mine], users=[self.teammate])
        codes = ["13055"]
        with self.assertNumQueries(1):
            people_counts_by_area(user=self.teammate, area_type="commune", codes=codes)
        with self.assertNumQueries(0):  # cached: no million-row count on each page view
            counts = people_counts_by_area(user=self.teammate, area_type="commune", codes=codes)
        self.assertEqual(counts["13055"]["people"], 1)
        # Another volunteer's cached counts are their own, staff's cover everyone.
        self.assertEqual(
            people_counts_by_area(user=self.outsider, area_type="commune", codes=codes), {}
        )
        self.assertEqual(
            people_counts_by_area(user=self.owner, area_type="commune", codes=codes)["13055"][
                "people"
            ],
            2,
        )


class NameSortTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.sophie = make_person(birth_name="ADAM", first_names="Sophie")
        cls.emilie = make_person(birth_name="ADAM", first_names="Émilie")
        cls.adamo = make_person(birth_name="ADAMO", first_names="Alain")
        # Born ZOLA, shown (and so sorted) as BERNARD.
        cls.married = make_person(birth_name="ZOLA", usage_name="Bernard", first_names="Lucie")
        cls.zoe = make_person(birth_name="ÉLUARD", first_names="Zoé")

    def names(self, sort: str) -> list[str]:
        people = person_list_page(user=self.owner, sort=sort)
        return [p.display_name for p in people]

    def test_it_sorts_by_the_shown_name_ignoring_accents(self) -> None:
        self.assertEqual(
            self.names("name"),
            ["Émilie ADAM", "Sophie ADAM", "Alain ADAMO", "Lucie Bernard", "Zoé ÉLUARD"],
        )

    def test_it_sorts_by_name_backwards(self) -> None:
        self.assertEqual(
            self.names("-name"),
            ["Zoé ÉLUARD", "Lucie Bernard", "Alain ADAMO", "Sophie ADAM", "Émilie ADAM"],
        )

    def test_a_new_name_moves_the_person_in_the_list(self) -> None:
        person_update(actor=self.owner, person=self.married, fields={"usage_name": ""})
        self.assertEqual(self.names("name")[-1], "Lucie ZOLA")


class SortSmallResultTestCase(BaseTestCase):
    """A counted small result is sorted as found (not by walking the sort key's index): the
    same order for every sort, only the SQL changes (`sort_people(..., matches=n)`)."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for n, (name, first, year, station, support) in enumerate(
            [
                ("ADAM", "Sophie", 1950, "13055_0002", SupportLevel.FOR),
                ("ADAM", "Émilie", None, "13055_0001", None),
                ("ADAMO", "Alain", 1990, "13055_0001", SupportLevel.AGAINST),
                ("ÉLUARD", "Zoé", 1971, "", SupportLevel.UNDECIDED),
                ("BERNARD", "Lucie", 1950, "13055_0002", None),
            ]
        ):
            person = make_person(
                birth_name=name, first_names=first, birth_year=year, polling_station_code=station
            )
            Person.objects.filter(pk=person.pk).update(roll_number=n, current_support=support)

    def test_every_sort_gives_the_same_order_either_way(self) -> None:
        people = Person.objects.all()
        for sort in SORTS:
            with self.subTest(sort=sort):
                by_index = list(sort_people(people, sort).values_list("pk", flat=True))
                as_found = sort_people(people, sort, matches=5)
                self.assertEqual(list(as_found.values_list("pk", flat=True)), by_index)

    def test_only_a_small_result_is_sorted_as_found(self) -> None:
        people = Person.objects.all()
        small = str(sort_people(people, "name", matches=5).query)
        large = str(sort_people(people, "name", matches=SORT_MATCHES_BELOW).query)
        unknown = str(sort_people(people, "name").query)
        self.assertIn("|| ''", small)
        self.assertNotIn("|| ''", large)
        self.assertNotIn("|| ''", unknown)


class CompiledListTestCase(BaseTestCase):
    """The people list without a search reads its rows and total through SQL compiled once
    (`person_list_rows`, `person_list_total`): the same rows, in the same order, page by page,
    as the queryset it was compiled from, for every sort and both kinds of scope."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.people = [
            make_person(
                birth_name=name,
                first_names=first,
                birth_year=1950 + n,
                polling_station_code=f"13055_000{n % 3}",
                roll_number=n,
            )
            for n, (name, first) in enumerate(
                [
                    ("ADAM", "Zoé"),
                    ("ÉLUARD", "Paul"),
                    ("ADAMO", "Alain"),
                    ("BRUN", "Léa"),
                    ("ADAM", "Émilie"),
                    ("ZOLA", "Émile"),
                    ("CAMUS", "Albert"),
                ]
            )
        ]
        # Some support known, some not: the support sorts put the unknown last both ways.
        for n, person in enumerate(cls.people[:4]):
            Person.objects.filter(pk=person.pk).update(current_support=[1, 3, 5, 3][n])
        assign(cls.people[:5], users=[cls.teammate])

    def expected(self, user: User, sort: str, offset: int, limit: int) -> list[dict]:  # type: ignore[type-arg]
        total = person_list_total(user=user)
        page = person_list_page(user=user, sort=sort, total=total).values(*ROW_FIELDS)
        return list(page[offset : offset + limit])

    def test_the_compiled_rows_are_the_querysets_rows(self) -> None:
        for user in (self.teammate, self.owner):
            total = person_list_total(user=user)
            for sort in SORTS:
                for offset, limit in ((0, 3), (3, 3), (6, 3), (0, 51)):
                    with self.subTest(user=user.email, sort=sort, offset=offset):
                        fetch = person_list_rows(user=user, sort=sort, total=total)
                        self.assertTrue(callable(fetch))
                        rows = fetch(offset, limit)  # type: ignore[operator]
                        self.assertEqual(rows, self.expected(user, sort, offset, limit))

    def test_the_compiled_total_counts_the_scope(self) -> None:
        self.assertEqual(person_list_total(user=self.teammate), Total(5, "exact"))
        self.assertEqual(person_list_total(user=self.owner).value, Person.objects.count())
        # Bound to each user: the outsider has no list.
        self.assertEqual(person_list_total(user=self.outsider), Total(0, "exact"))

    def test_a_search_is_not_compiled(self) -> None:
        rows = person_list_rows(user=self.teammate, query="adam", total=None)
        self.assertNotIsInstance(rows, type(lambda: None))
        self.assertEqual(
            {row["birth_name"] for row in rows},  # type: ignore[union-attr]
            {"ADAM", "ADAMO"},
        )


class PersonSheetRowsTestCase(BaseTestCase):
    """The contact sheet's reads compiled once (`access_person`, `person_sheet_rows`): the same
    rows, in the same order, as the related managers, and the same scope."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.person = make_person(birth_name="MARTIN", household_key="13055|1 rue de la Paix")
        cls.partner = make_person(
            birth_name="MARTIN", first_names="Léo", household_key="13055|1 rue de la Paix"
        )
        cls.child = make_person(
            birth_name="MARTIN", first_names="Zoé", household_key="13055|1 rue de la Paix"
        )
        cls.alone = make_person(birth_name="SEUL")
        # Set after saving: saving a person derives the key from the address.
        household = [cls.person.pk, cls.partner.pk, cls.child.pk]
        Person.objects.filter(pk__in=household).update(household_key="13055|1 rue de la Paix")
        for member in (cls.person, cls.partner, cls.child):
            member.refresh_from_db()
        assign([cls.person, cls.partner, cls.alone], users=[cls.teammate])
        for address in ("b@example.org", "a@example.org"):
            EmailAddress.objects.create(person=cls.person, address=address)
        PhoneNumber.objects.create(person=cls.person, number="+33612345678")
        PhoneNumber.objects.create(person=cls.person, number="+33491000000")
        for n, granted in enumerate((True, False)):
            Consent.objects.create(
                person=cls.person,
                channel="email",
                granted=granted,
                recorded_at=timezone.now() + timedelta(minutes=n),
            )
        for name in ("soignante", "Marseille"):
            PersonTag.objects.create(
                person=cls.person, tag=Tag.objects.create(name=name, slug=name)
            )

    def expected(self, user: User, person: Person) -> PersonSheetRows:
        return PersonSheetRows(
            interactions=list(
                person.interactions.select_related("actor").order_by("-occurred_at", "-id")
            ),
            emails=list(person.emails.all()),
            phones=list(person.phones.all()),
            consents=list(person.consents.order_by("-recorded_at", "-id")),
            tags=list(person.tags.all()),
            household=list(household_members(user=user, person=person)[:20]),
        )

    def test_the_compiled_reads_are_the_managers_reads(self) -> None:
        for user in (self.teammate, self.owner):
            for person in (self.person, self.alone):
                with self.subTest(user=user.email, person=person.birth_name):
                    self.assertEqual(
                        person_sheet_rows(user=user, person=person), self.expected(user, person)
                    )
        rows = person_sheet_rows(user=self.teammate, person=self.person)
        self.assertEqual((len(rows.emails), len(rows.phones), len(rows.tags)), (2, 2, 2))
        self.assertEqual(rows.household, [self.partner])  # the child is not on their list
        self.assertEqual(
            person_sheet_rows(user=self.owner, person=self.person).household,
            list(household_members(user=self.owner, person=self.person)),
        )
        self.assertEqual(rows.consents[0].granted, False)  # the latest first, a real boolean

    def test_the_interactions_come_with_their_actors_and_no_query_per_row(self) -> None:
        for n, actor in enumerate((self.teammate, self.owner, None, self.teammate)):
            Interaction.objects.create(
                person=self.person,
                channel=Channel.DOOR,
                result="talked",
                occurred_at=timezone.now() - timedelta(days=n),
                actor=actor,
            )
        expected = list(
            self.person.interactions.select_related("actor").order_by("-occurred_at", "-id")
        )
        for user in (self.teammate, self.owner):
            # interactions, actors, emails, phones, consents, tags, household: on PostgreSQL one
            # statement (core.compiled.compiled_instances_together)
            with self.assertNumQueries(1 if connection.vendor == "postgresql" else 7):
                found = person_sheet_rows(user=user, person=self.person).interactions
                actors = [interaction.actor for interaction in found]  # no query per row
            self.assertEqual(found, expected)
            self.assertEqual(actors, [i.actor for i in expected])
            self.assertEqual(actors[0].short_name, "Théo")  # type: ignore[union-attr]
        self.assertEqual(person_sheet_rows(user=self.owner, person=self.alone).interactions, [])

    def test_one_statement_gives_what_seven_give(self) -> None:
        """On PostgreSQL the sheet's reads go as one statement of arrays of records, read back by
        the loaders a plain read uses: every field of every row, typed as the pipeline's."""
        hostile = 'a "quoted", (paren) \\ back\nline; {brace} é'
        Person.objects.filter(pk=self.partner.pk).update(
            extra={"a": [1, "x"], "b": None, "c": hostile},
            sources=["roll", "import"],
            notes=hostile,
            latitude=43.296482,
            longitude=5.36978,
            geocode_score=87,
            geocoded_at=timezone.now(),
            birth_year=1961,
            is_activist=True,
            consent_email=False,
            consent_sms=None,
        )
        for n, actor in enumerate((self.teammate, None)):
            Interaction.objects.create(
                person=self.person,
                channel=Channel.DOOR,
                result="talked",
                support_level=SupportLevel.UNDECIDED if n else None,
                occurred_at=timezone.now() - timedelta(days=n),
                actor=actor,
                note=hostile,
                client_uuid=uuid.uuid4(),
            )
        EmailAddress.objects.create(person=self.person, address="", status="bounced")
        reads = {name: (("person-sheet", name), build) for name, build in _SHEET_READS.items()}
        reads["household"] = (("person-sheet-household", _sources_key()), _household_of)

        def fields(found: dict[str, list[object]]) -> dict[str, list[object]]:
            return {
                name: [
                    (
                        type(row),
                        {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields},
                    )  # type: ignore[attr-defined]
                    for row in rows
                ]
                for name, rows in found.items()
            }

        one = compiled_instances_together(
            reads=reads, user=self.teammate, value=self.person.pk, one_statement=True
        )
        several = compiled_instances_together(
            reads=reads, user=self.teammate, value=self.person.pk, one_statement=False
        )
        self.assertEqual(fields(one), fields(several))
        self.assertEqual(len(one["interactions"]), 2)
        self.assertEqual([p.pk for p in one["household"]], [self.partner.pk])
        partner = one["household"][0]
        self.assertEqual(partner.extra["c"], hostile)
        self.assertIs(partner.consent_sms, None)
        self.assertIs(partner.is_activist, True)

    def test_the_audit_line_is_inserted_once_with_the_reads(self) -> None:
        organiser = UserFactory(role=Role.ORGANISER)  # their scope does not compile
        for user in (self.teammate, self.owner, organiser):
            with self.subTest(user=user.email):
                entry = person_sheet_view_entry(actor=user, person_id=self.person.pk)
                rows = person_sheet_rows(user=user, person=self.person, inserting=entry)
                self.assertEqual(len(rows.emails), 2)
                line = AuditLogEntry.objects.get(pk=entry.pk)
                self.assertEqual((line.actor_id, line.action), (user.pk, "view"))
                self.assertEqual(line.target_id, str(self.person.pk))

    def test_person_sheet_is_access_person_and_its_rows_in_one(self) -> None:
        """`person_sheet`: on PostgreSQL one statement (the person in scope, the reads, the
        audit line inserted if and only if the person is in scope)."""

        def values(person: Person) -> dict[str, object]:
            return {f.attname: getattr(person, f.attname) for f in Person._meta.concrete_fields}

        # Another person without a household on the teammate's list: "" is no household.
        assign([make_person(birth_name="SEULE AUSSI")], users=[self.teammate])
        for user, person in (
            (self.teammate, self.person),
            (self.teammate, self.alone),  # no household: the household read finds nobody
            (self.owner, self.child),
            (self.owner, self.alone),
        ):
            with self.subTest(user=user.email, person=person.first_names):
                before = AuditLogEntry.objects.count()
                entry = person_sheet_view_entry(actor=user, person_id=person.pk, ip_address="::1")
                with self.assertNumQueries(1 if connection.vendor == "postgresql" else 9):
                    found, rows = person_sheet(user=user, person_id=person.pk, inserting=entry)
                self.assertEqual(values(found), values(Person.objects.get(pk=person.pk)))
                self.assertEqual(rows, self.expected(user, person))
                if not person.household_key:
                    self.assertEqual(rows.household, [])
                self.assertEqual(AuditLogEntry.objects.count(), before + 1)
                line = AuditLogEntry.objects.get(pk=entry.pk)
                self.assertEqual(
                    (line.actor_id, line.action, line.target_type, line.target_id),
                    (user.pk, "view", "people.person", str(person.pk)),
                )
                self.assertEqual((line.at, line.ip_address), (entry.at, "::1"))
        before = AuditLogEntry.objects.count()
        for user, person in ((self.teammate, self.child), (self.outsider, self.person)):
            with self.subTest(user=user.email, person=person.first_names, in_scope=False):
                entry = person_sheet_view_entry(actor=user, person_id=person.pk)
                with self.assertRaises(NotFound):
                    person_sheet(user=user, person_id=person.pk, inserting=entry)
                self.assertIsNone(entry.pk)
        self.assertEqual(AuditLogEntry.objects.count(), before)

    def test_access_person_keeps_the_scope(self) -> None:
        found = access_person(user=self.teammate, person_id=str(self.person.pk))
        self.assertEqual(found, self.person)
        self.assertEqual(found.household_key, self.person.household_key)
        self.assertEqual(found.created_at, Person.objects.get(pk=self.person.pk).created_at)
        with self.assertRaises(NotFound):
            access_person(user=self.teammate, person_id=self.child.pk)
        with self.assertRaises(NotFound):
            access_person(user=self.outsider, person_id=self.person.pk)
        self.assertEqual(access_person(user=self.owner, person_id=self.child.pk), self.child)


class PersonSheetCommitTestCase(TransactionTestCase):
    """Outside a test's transaction, as a request runs: the sheet's one statement commits its
    audit line by itself, and its setting (`synchronous_commit` off) ends with that statement's
    transaction rather than staying on the connection for the writes that follow."""

    def test_the_line_is_committed_and_the_setting_does_not_stay(self) -> None:
        teammate = UserFactory(role=Role.VOLUNTEER)
        person = make_person(birth_name="MARTIN")
        assign([person], users=[teammate])
        entry = person_sheet_view_entry(actor=teammate, person_id=person.pk)
        found, _rows = person_sheet(user=teammate, person_id=person.pk, inserting=entry)
        self.assertEqual(found.pk, person.pk)
        # Seen from another connection, as the audit page's: committed.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {AuditLogEntry._meta.db_table} WHERE id = %s",  # noqa: S608 - the model's table
                    [entry.pk],
                )
                self.assertEqual(cursor.fetchone()[0], 1)
        finally:
            other.close()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('synchronous_commit')")
                self.assertEqual(cursor.fetchone()[0], "on")
