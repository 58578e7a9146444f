"""Demo forum: four themes, the charter, a programme chapter open for comment, a few hundred
generated contributions and a few thousand ratings from generated members (set-based, see
`seed.py`), then real moderation through the services (flags, an automatic hide, a restore,
an appeal), meta-moderation, the reputation recount, the day's moderation points and a
published synthesis, so levels, rankings, the queue, the log and a synthesis all show something.
Idempotent: skipped when the charter exists."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from django.test.utils import override_settings
from django.utils import timezone

from maillage.accounts.demo import DEMO_ACCOUNTS, load_demo_accounts
from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.forum import services
from maillage.forum.models import Charter, Contribution, ForumProfile, Level, Status
from maillage.forum.seed import forum_seed

THEMES = [
    ("Santé et hôpital", "Déserts médicaux, urgences, prévention : vos propositions."),
    ("Éducation", "De la crèche à l'université, et la formation tout au long de la vie."),
    ("Transports", "Se déplacer mieux, moins cher et moins polluant."),
    ("Démocratie participative", "Comment associer les citoyens aux décisions."),
]
CLAUSES = [
    (1, "Respect", "Pas d'insulte, de menace ni d'attaque personnelle."),
    (2, "Sujet", "Les contributions portent sur le thème où elles sont publiées."),
    (3, "Publicité", "Pas de publicité ni de spam."),
    (
        4,
        "Légalité",
        "Rien d'illégal : diffamation, incitation à la haine, données personnelles d'autrui.",
    ),
    (5, "Lisibilité", "Un titre clair ; pas de messages en majuscules ni de répétitions."),
]
PROGRAMME = """Notre projet pour la santé commence par l'accès aux soins : personne ne doit vivre à plus de trente minutes d'un médecin.

Nous créerons 500 maisons de santé pluridisciplinaires, en priorité dans les territoires où l'on attend plus de six mois un rendez-vous.

Les urgences retrouveront des moyens : des lits d'aval dans chaque hôpital et une régulation par le 15 ouverte jour et nuit.

La prévention sera financée à la hauteur des soins : dépistages gratuits, santé au travail, santé mentale des jeunes."""


def load_demo(*, stdout: Any, small: bool = False) -> None:
    # The generated members' addresses are fictitious: the notices the demo's writes send
    # (levels reached, moderation, the synthesis) go nowhere.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        _load(stdout=stdout, small=small)


def _load(*, stdout: Any, small: bool) -> None:
    if Charter.objects.exists():
        stdout.write("Forum : déjà chargé.\n")
        return
    load_demo_accounts()
    staff = User.objects.get(email=DEMO_ACCOUNTS[1][0])
    charter = services.charter_publish(
        actor=staff,
        introduction="Chaque décision de modération cite un article de cette charte.",
        clauses=CLAUSES,
    )
    clause = {c.number: c for c in charter.clauses.all()}
    themes = [
        services.theme_create(actor=staff, name=name, description=text) for name, text in THEMES
    ]
    text = services.programme_text_publish(
        actor=staff,
        title="Chapitre 1 — La santé partout",
        introduction="Commentez paragraphe par paragraphe.",
        body=PROGRAMME,
    )
    sizes = (40, 120, 900) if small else (80, 400, 4000)
    report = forum_seed(
        themes=themes,
        members=sizes[0],
        contributions=sizes[1],
        ratings=sizes[2],
        long_thread=25,
        domain="forum.demo.maillage.fr",
    )
    members = list(User.objects.filter(pk__in=report.members).order_by("pk"))
    paragraphs = list(text.paragraphs.all())
    for i, member in enumerate(members[:12]):
        services.comment_create(
            author=member,
            paragraph=paragraphs[i % len(paragraphs)],
            body=[
                "D'accord, mais avec quel budget ?",
                "Et les infirmières ?",
                "Très bien : à préciser pour les zones rurales.",
                "Il faut aussi parler des EHPAD.",
            ][i % 4]
            + f" ({i})",
        )
    services.reputation_recompute()
    # Moderators: the best trusted member of each theme, and the demo supporter as a rater.
    trusted = list(
        ForumProfile.objects.filter(user_id__in=report.members).order_by("-reputation")[:8]
    )
    for theme, profile in zip(themes, trusted, strict=False):
        theme.moderators.add(profile.user)
        theme.synthesisers.add(staff)
    supporter = User.objects.get(email=DEMO_ACCOUNTS[5][0])
    services.profile_get(user=supporter)
    services.level_set_manual(actor=staff, user=supporter, level=Level.FLAGGER, reason="Démo")
    # Moderation: flags, an automatic hide, a moderator's decision, a restore on appeal.
    flaggers = [p.user for p in trusted[4:8]]
    for profile in ForumProfile.objects.filter(user__in=flaggers):
        ForumProfile.objects.filter(pk=profile.pk).update(
            moderation_points=5, level=max(profile.level, Level.FLAGGER)
        )
    worst = list(Contribution.objects.filter(status=Status.VISIBLE).order_by("rank_best", "id")[:6])
    for item in worst[:3]:
        for flagger in flaggers[:2]:
            if item.author_id != flagger.pk:
                # A hidden item cannot be flagged again.
                with contextlib.suppress(ApplicationError):
                    services.flag_create(
                        user=flagger, item=item, clause=clause[2], note="Hors sujet"
                    )
    for item in worst[3:5]:
        if item.author_id != flaggers[0].pk:
            services.flag_create(user=flaggers[0], item=item, clause=clause[1])
    moderator = themes[0].moderators.first() or staff
    hidden = [i for i in worst if Contribution.objects.get(pk=i.pk).status == Status.HIDDEN]
    first_theme_items = list(
        Contribution.objects.filter(theme=themes[0], status=Status.VISIBLE).order_by("rank_best")[
            :1
        ]
    )
    if first_theme_items and moderator.pk != first_theme_items[0].author_id:
        actions = services.moderation_decide(
            actor=moderator,
            items=first_theme_items,
            kind="hide",
            clause=clause[5],
            note="Titre en majuscules",
        )
        appeal = services.appeal_create(
            author=first_theme_items[0].author,
            action=actions[0],
            text="Je corrige le titre, promis.",
        )
        services.appeal_decide(
            actor=staff, appeal=appeal, overturn=True, clause=clause[5], note="Titre corrigé"
        )
    if hidden:
        services.moderation_decide(
            actor=staff,
            items=hidden[:1],
            kind="restore",
            clause=clause[2],
            note="Le sujet est bien celui du thème",
        )
    for profile in ForumProfile.objects.filter(level__gte=Level.FLAGGER).exclude(user=moderator)[
        :3
    ]:
        for action in services_sample(profile.user):
            services.meta_moderation_record(judge=profile.user, action=action, fair=True)
    services.moderation_points_distribute()
    # A published synthesis citing the theme's best contributions.
    best = list(
        Contribution.objects.filter(theme=themes[0], status=Status.VISIBLE).order_by("-rank_best")[
            :4
        ]
    )
    synthesis = services.synthesis_create(
        author=staff,
        theme=themes[0],
        title="Synthèse du mois : l'accès aux soins",
        period_start=timezone.localdate() - timedelta(days=30),
        period_end=timezone.localdate(),
        body="Les contributions convergent vers **des maisons de santé** et une régulation des urgences ouverte jour et nuit.",
        citation_ids=[c.pk for c in best],
    )
    services.synthesis_publish(actor=staff, synthesis=synthesis)
    stdout.write(
        f"Forum : {len(themes)} thèmes, {len(report.contributions)} contributions, {report.ratings} évaluations, "
        "une synthèse.\n"
    )


def services_sample(user: User) -> list[Any]:
    from maillage.forum.selectors import meta_moderation_sample

    return meta_moderation_sample(user=user, size=3)
