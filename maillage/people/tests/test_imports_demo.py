"""The demo people: imported through the REU path, consistent, idempotent."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command

from maillage.accounts.demo import TEAM_LEADER_EMAIL, TEAM_NAME
from maillage.accounts.models import Team, User, Zone
from maillage.people.demo import (
    COMMUNE,
    LEADER_LIST_NAME,
    LIST_NAME,
    RECENT_KNOCKS,
    SEGMENTS,
    load_demo,
)
from maillage.people.models import Interaction, Person, PersonList, Segment
from maillage.people.selectors.people import people_visible_to
from maillage.people.selectors.persuasion import support_history
from maillage.people.selectors.teams import team_progress

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_DIR = tmp_path


def test_the_small_demo_loads_a_roll_contacts_a_list_and_segments_and_is_idempotent() -> None:
    call_command("load_demo", "--small", stdout=io.StringIO())
    voters = Person.objects.filter(commune_code=COMMUNE, is_voter=True)
    assert voters.count() == 500
    assert set(voters.values_list("polling_station_code", flat=True)) == {
        f"{COMMUNE}_000{n}" for n in range(1, 6)
    }
    assert Person.objects.filter(tags__slug="infirmiere").exists()
    assert set(Segment.objects.values_list("name", flat=True)) >= set(SEGMENTS)
    assert set(voters.values_list("constituency_code", flat=True)) == {"1311"}  # a real close race
    walk_list = PersonList.objects.get(name=LIST_NAME)
    assert list(walk_list.assigned_teams.values_list("name", flat=True)) == [TEAM_NAME]
    assert not walk_list.assigned_users.exists()
    leader_list = PersonList.objects.get(name=LEADER_LIST_NAME)
    assert list(leader_list.assigned_users.values_list("email", flat=True)) == [TEAM_LEADER_EMAIL]
    # The denormalised support is the latest level expressed, the last contact the latest one
    # (a later "not home" keeps the level).
    for person in Person.objects.exclude(current_support=None)[:40]:
        history = Interaction.objects.filter(person=person).order_by("-occurred_at", "-id")
        assert person.current_support == history.exclude(support_level=None)[0].support_level
        assert person.last_interaction_at == history[0].occurred_at
    # Eight weeks of door-to-door: enough for the persuasion dashboard and the questions inbox.
    knocks = Interaction.objects.filter(
        client_uuid__in=[
            uuid.uuid5(uuid.NAMESPACE_URL, f"maillage-demo:attempt:{n}") for n in range(1000)
        ]
    )
    assert 100 <= knocks.count() <= 300
    assert knocks.filter(question_status="open").exists()
    staff = User.objects.get(email="staff@demo.maillage.fr")
    history, _boundaries = support_history(user=staff)
    assert history.overall.flips > 0 and history.overall.conversations_with_undecided > 0
    counts = (
        Person.objects.count(),
        Interaction.objects.count(),
        Segment.objects.count(),
        User.objects.count(),
    )
    output = io.StringIO()
    load_demo(stdout=output, small=True)
    assert "0 created, 500 unchanged" in output.getvalue()
    assert (
        Person.objects.count(),
        Interaction.objects.count(),
        Segment.objects.count(),
        User.objects.count(),
    ) == counts


def test_each_demo_role_sees_its_own_people_and_the_demo_matches_its_places() -> None:
    call_command("load_demo", "--small", stdout=io.StringIO())
    visible = {
        user.email: people_visible_to(user=user).count()
        for user in User.objects.filter(email__endswith="@demo.maillage.fr")
    }
    assert visible == {
        "admin@demo.maillage.fr": 512,  # the roll of Vallon-sur-Mer and 12 sign-ups elsewhere
        "staff@demo.maillage.fr": 512,
        "organisatrice@demo.maillage.fr": 500,  # her department: Vallon-sur-Mer only
        "chef@demo.maillage.fr": 200,  # the team's walk list and her own list to hand out
        "benevole@demo.maillage.fr": 100,  # the team's walk list
        "sympathisant@demo.maillage.fr": 0,
    }
    assert not Team.objects.filter(name__icontains="Marseille").exists()
    assert not Zone.objects.filter(name__icontains="Marseille").exists()
    zone_codes = set(Zone.objects.values_list("code", flat=True))
    assert zone_codes == {"13", "1311", COMMUNE}
    assert Person.objects.filter(commune_code=COMMUNE, constituency_code="1311").count() == 500
    leader = User.objects.get(email=TEAM_LEADER_EMAIL)
    (progress,) = team_progress(user=leader)
    assert [(row.people, row.contacted) for row in progress.lists] == [(100, RECENT_KNOCKS)]
