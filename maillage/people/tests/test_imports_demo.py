"""The demo people: imported through the REU path, consistent, idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from maillage.accounts.models import User
from maillage.people.demo import COMMUNE, LIST_NAME, SEGMENTS, load_demo
from maillage.people.models import Interaction, Person, PersonList, Segment

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
    walk_list = PersonList.objects.get(name=LIST_NAME)
    assert walk_list.assigned_users.filter(email="benevole@demo.maillage.fr").exists()
    assert walk_list.assigned_teams.filter(name="Équipe Marseille centre").exists()
    # The denormalised support is the latest interaction's.
    for person in Person.objects.exclude(current_support=None)[:20]:
        latest = Interaction.objects.filter(person=person).order_by("-occurred_at").first()
        assert person.current_support == latest.support_level
        assert person.last_interaction_at == latest.occurred_at
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
