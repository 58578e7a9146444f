"""Builders for the forum's tests: a theme, a charter, members at a given level."""

from __future__ import annotations

from itertools import count

from maillage.accounts.models import User
from maillage.accounts.tests.factories import UserFactory
from maillage.core.roles import Role
from maillage.forum.models import Charter, CharterClause, Contribution, ForumProfile, Level, Theme
from maillage.forum.services import charter_publish, contribution_create, profile_get

_n = count(1)


def member(level: int = Level.NEW, name: str = "", **profile_fields: object) -> User:
    i = next(_n)
    user = UserFactory(
        email=f"member{i}@example.org", full_name=name or f"Membre Numéro{i}", role=Role.SUPPORTER
    )
    profile = profile_get(user=user)
    if level or profile_fields:
        ForumProfile.objects.filter(pk=profile.pk).update(
            manual_level=level if level else None, level=level, **profile_fields
        )
    return user


def theme(name: str = "Écologie") -> Theme:
    return Theme.objects.create(name=name, slug=f"theme-{next(_n)}", description="Un thème")


def charter(staff: User) -> Charter:
    return charter_publish(
        actor=staff,
        introduction="Règles",
        clauses=[(1, "Respect", "Pas d'insultes."), (2, "Sujet", "Restez dans le thème.")],
    )


def clause(charter_: Charter, number: int = 1) -> CharterClause:
    return charter_.clauses.get(number=number)


def post(author: User, where: Theme, title: str = "", body: str = "") -> Contribution:
    i = next(_n)
    return contribution_create(
        author=author, theme=where, title=title or f"Idée {i}", body=body or f"Texte de l'idée {i}"
    )
