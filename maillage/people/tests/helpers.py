"""Small builders for the people tests (the import tests have their own factories)."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from django.utils import timezone

from maillage.people.models import Person, PersonList
from maillage.people.services.persons import person_keys_refresh

_numbers = itertools.count(1)


def view_context(response: Any) -> Any:
    """The context a people page's view rendered it with (the people list, a segment's page).
    Their content is drawn once per shape (core.html.filled_fragment); the request that draws
    it renders the pagination template first with a stand-in `page`, which
    `response.context["page"]` (its first context holding the name) would find instead."""
    return next(context for context in response.context if "content" in context)


def make_person(**fields: Any) -> Person:
    """A saved person with derived keys; defaults to a voter of Marseille, polling station 1."""
    n = next(_numbers)
    defaults: dict[str, Any] = {
        "birth_name": f"NOM{n}",
        "first_names": "Camille",
        "birth_year": 1970,
        "commune_code": "13055",
        "department_code": "13",
        "constituency_code": "1303",
        "polling_station_code": "13055_0001",
        "is_voter": True,
    }
    defaults.update(fields)
    person = Person(**defaults)
    person_keys_refresh(person)
    person.save()
    return person


def assign(people: list[Person], *, users: list[Any] = (), teams: list[Any] = ()) -> PersonList:  # type: ignore[assignment]
    person_list = PersonList.objects.create(name=f"Liste {next(_numbers)}")
    person_list.members.add(*people)
    person_list.assigned_users.add(*users)
    person_list.assigned_teams.add(*teams)
    return person_list


def at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))
