"""Where a volunteer's scope comes from: the people assigned to them.

The people app assigns hand-made lists (`PersonList`); feature apps assign more (canvassing
turfs, phone-bank claims). Each of them registers here a function that returns, for a user,
a `values("person_id")`-shaped queryset of the people currently assigned to that user, and
`people_visible_to` unions them all. So there is still one door to people and no page needs a
rule of its own: a turf handed to a volunteer opens its people to them, and only those.

Each source must start from the assignments (an index on the user or the team) and walk to
people by an index, so its cost follows the user's scope, never the size of the people table
(issue #17: `people/tests/test_scale.py` checks this for every registered source).

A source's queryset must depend on the user's id and on today's date only, never on other
attributes of the user: `people_visible_to` compiles the union of all sources once per process
and day for a placeholder id, then binds each user's id in its place (`assigned_people_sql`;
building and compiling it on every request cost more than running it).

Sources live in `<app>/assignment_sources.py`, discovered at startup like segment filters;
a module registers with the `assignment_source` decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from maillage.accounts.models import User

AssignmentSource = Callable[[User], "QuerySet[Any]"]

_sources: dict[str, AssignmentSource] = {}
_discovered = False


def assignment_source(name: str) -> Callable[[AssignmentSource], AssignmentSource]:
    """Register `function(user) -> queryset of {"person_id": …}` under a unique name."""

    def decorate(function: AssignmentSource) -> AssignmentSource:
        _sources[name] = function
        return function

    return decorate


def assignment_sources() -> dict[str, AssignmentSource]:
    """Every registered source, by name (discovered on first use)."""
    autodiscover()
    return dict(_sources)


def autodiscover() -> None:
    """Import every project app's `assignment_sources` module once."""
    global _discovered
    if _discovered:
        return
    for config in apps.get_app_configs():
        if not config.name.startswith("maillage."):
            continue
        name = f"{config.name}.assignment_sources"
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a broken import inside the module must not pass silently
                raise
    _discovered = True
