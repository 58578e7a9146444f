"""Set-based generation of a forum population (members, contributions, ratings, a long thread)
for the demo and the benchmark: ids reserved up front, rows streamed through the dialect's bulk
insert (COPY on PostgreSQL), counters and rank scores computed while generating, so nothing is
updated row by row afterwards.

Raters are mostly honest (they rate by an item's hidden quality, with some noise); a share of
them are contrarians, so levels and accuracy come out differently once the reputation recount
has run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from maillage.accounts.models import User
from maillage.core.dialect import dialect
from maillage.core.roles import Role
from maillage.forum.levels import effective_level, reputation_of
from maillage.forum.models import Comment, Contribution, ForumProfile, Rating, Theme
from maillage.forum.ranking import ranks
from maillage.forum.text import content_hash, render_markdown

FIRST = [
    "Anne",
    "Bruno",
    "Claire",
    "David",
    "Emma",
    "Farid",
    "Gaëlle",
    "Hugo",
    "Inès",
    "Jules",
    "Karim",
    "Léa",
    "Mehdi",
    "Nora",
    "Olivier",
    "Paula",
    "Quentin",
    "Rose",
    "Sami",
    "Théa",
]  # noqa: E501
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "Roux",
]  # noqa: E501
TOPICS = [
    "les transports en commun",
    "la rénovation des écoles",
    "les déserts médicaux",
    "l'accès au logement",
    "les circuits courts",
    "la démocratie locale",
    "l'apprentissage",
    "la qualité de l'air",
    "les maisons de santé",
    "le vélo",
]  # noqa: E501
VERBS = ["Développer", "Financer", "Simplifier", "Ouvrir", "Évaluer", "Rapprocher"]


@dataclass
class SeedReport:
    members: list[int]
    contributions: list[int]
    ratings: int
    comments: int


def _rows(
    fields: Sequence[models.Field[Any, Any]], objects: Iterator[models.Model]
) -> Iterator[list[Any]]:
    for obj in objects:
        yield [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields]


def _insert(model: type[models.Model], objects: Iterator[models.Model]) -> None:
    """Every concrete column of `model`, values prepared as Django would save them."""
    fields = list(model._meta.concrete_fields)
    dialect().bulk_insert(
        model._meta.db_table, [str(field.column) for field in fields], _rows(fields, objects)
    )


def forum_seed(
    *,
    themes: Sequence[Theme],
    members: int,
    contributions: int,
    ratings: int,
    long_thread: int = 0,
    contrarian_share: float = 0.1,
    days: int = 60,
    domain: str = "forum.example.org",
    seed: int = 1,
    now: datetime | None = None,
) -> SeedReport:
    rng = random.Random(seed)
    now = now or timezone.now()
    db = dialect()
    with transaction.atomic():
        unusable = make_password(None)  # generated members never sign in
        user_base = db.reserve_ids(User._meta.db_table, members)
        member_ids = list(range(user_base + 1, user_base + members + 1))
        names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in member_ids]
        _insert(
            User,
            (
                User(
                    id=uid,
                    email=f"m{uid}@{domain}",
                    full_name=name,
                    role=Role.SUPPORTER,
                    password=unusable,
                    is_active=True,
                    date_joined=now - timedelta(days=days + 1),
                )
                for uid, name in zip(member_ids, names, strict=True)
            ),
        )
        contrarian = {uid for uid in member_ids if rng.random() < contrarian_share}
        given = dict.fromkeys(member_ids, 0)
        up_received = dict.fromkeys(member_ids, 0)
        down_received = dict.fromkeys(member_ids, 0)

        contribution_base = db.reserve_ids(Contribution._meta.db_table, contributions)
        contribution_ids = list(range(contribution_base + 1, contribution_base + contributions + 1))
        authors = [rng.choice(member_ids) for _ in contribution_ids]
        quality = [rng.random() for _ in contribution_ids]
        created = [now - timedelta(seconds=rng.randint(60, days * 86400)) for _ in contribution_ids]
        # Ratings per item: skewed (a few items draw many), summing to about `ratings`.
        weights = [rng.paretovariate(1.5) for _ in contribution_ids]
        scale = ratings / sum(weights) if weights else 0
        counts = [min(int(w * scale + rng.random()), members - 1) for w in weights]
        ups = [0] * contributions
        downs = [0] * contributions

        # Reserved before the COPY starts: no other statement may run on its connection.
        rating_base = db.reserve_ids(Rating._meta.db_table, sum(counts))

        def rating_rows() -> Iterator[Rating]:
            rating_id = rating_base
            for i, cid in enumerate(contribution_ids):
                for rater in rng.sample(member_ids, counts[i] + 1):
                    if rater == authors[i]:
                        continue
                    if counts[i] <= 0:
                        break
                    honest = rng.random() < 0.9
                    good = (quality[i] > 0.45) if honest else rng.random() < 0.5
                    value = (1 if good else -1) * (-1 if rater in contrarian else 1)
                    rating_id += 1
                    given[rater] += 1
                    if value > 0:
                        ups[i] += 1
                        up_received[authors[i]] += 1
                    else:
                        downs[i] += 1
                        down_received[authors[i]] += 1
                    yield Rating(
                        id=rating_id,
                        user_id=rater,
                        contribution_id=cid,
                        value=value,
                        created_at=created[i] + timedelta(hours=1),
                        updated_at=created[i] + timedelta(hours=1),
                    )
                    counts[i] -= 1
                    if counts[i] <= 0:
                        break

        # Generated before the contributions (their counters come from it): foreign keys are
        # checked at commit.
        _insert(Rating, rating_rows())
        rating_total = sum(ups) + sum(downs)
        bodies = {}
        for topic in TOPICS:
            text = (
                f"Je propose de mieux prendre en compte **{topic}** : un plan en trois étapes,\n\n"
                f"- un diagnostic partagé ;\n- un budget voté ;\n- un suivi public.\n"
            )
            bodies[topic] = (text, render_markdown(text))

        def contribution_rows() -> Iterator[Contribution]:
            for i, cid in enumerate(contribution_ids):
                topic = TOPICS[i % len(TOPICS)]
                title = f"{VERBS[i % len(VERBS)]} {topic} ({cid})"
                body, html = bodies[topic]
                yield Contribution(
                    id=cid,
                    theme_id=themes[i % len(themes)].pk,
                    author_id=authors[i],
                    title=title,
                    body=body,
                    body_html=html,
                    up=ups[i],
                    down=downs[i],
                    rating_count=ups[i] + downs[i],
                    comment_count=long_thread if i == 0 else 0,
                    content_hash=content_hash(title, body),
                    created_at=created[i],
                    **ranks(ups[i], downs[i], created[i]),
                )

        _insert(Contribution, contribution_rows())
        comment_total = 0
        if long_thread and contribution_ids:
            comment_base = db.reserve_ids(Comment._meta.db_table, long_thread)

            def comment_rows() -> Iterator[Comment]:
                for j in range(long_thread):
                    cid = comment_base + j + 1
                    parent = comment_base + rng.randint(1, j) if j and rng.random() < 0.5 else None
                    body = (
                        f"Commentaire {j} : d'accord sur le principe, mais *comment* le financer ?"
                    )
                    up, down = rng.randint(0, 12), rng.randint(0, 4)
                    at = created[0] + timedelta(minutes=j + 1)
                    yield Comment(
                        id=cid,
                        contribution_id=contribution_ids[0],
                        parent_id=parent,
                        author_id=rng.choice(member_ids),
                        body=body,
                        body_html=render_markdown(body),
                        up=up,
                        down=down,
                        rating_count=up + down,
                        created_at=at,
                        **ranks(up, down, at),
                    )

            _insert(Comment, comment_rows())
            comment_total = long_thread
        for theme in themes:
            Theme.objects.filter(pk=theme.pk).update(
                contribution_count=Contribution.objects.filter(
                    theme=theme, status="visible"
                ).count()
            )

        def profile_rows() -> Iterator[ForumProfile]:
            for uid, name in zip(member_ids, names, strict=True):
                first, last = name.split(" ", 1)
                profile = ForumProfile(
                    user_id=uid,
                    display_name=f"{first} {last[0]}.",
                    ratings_given=given[uid],
                    up_received=up_received[uid],
                    down_received=down_received[uid],
                )
                profile.reputation = reputation_of(profile)
                profile.level = effective_level(profile)
                yield profile

        _insert(ForumProfile, profile_rows())
        db.analyze(Contribution._meta.db_table)
        db.analyze(Rating._meta.db_table)
    return SeedReport(member_ids, contribution_ids, rating_total, comment_total)
