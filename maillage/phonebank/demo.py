"""Demo call campaign: the evening phone bank of Vallon-sur-Mer, over the people with a phone
and phone consent, with a short branching call script, the demo team as callers, running.
Idempotent (found by name)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from maillage.accounts.demo import COMMUNE, TEAM_NAME
from maillage.accounts.models import Team, User
from maillage.core.roles import Role
from maillage.people.selectors.segments import Segment
from maillage.people.services.segments import segment_create
from maillage.phonebank.models import CallCampaign
from maillage.phonebank.services import (
    call_campaign_create,
    call_campaign_set_status,
)
from maillage.surveys.services import choice_add, question_add, script_create

CAMPAIGN_NAME = "Démo — appels du soir"
SEGMENT_NAME = "Démo — à appeler (téléphone et accord)"
SCRIPT_NAME = "Appel : relance avant le premier tour"


@transaction.atomic
def load_demo(*, stdout: Any, small: bool = False) -> None:
    if CallCampaign.objects.filter(name=CAMPAIGN_NAME).exists():
        stdout.write(f"phonebank: campaign « {CAMPAIGN_NAME} » already there")
        return
    actor = User.objects.filter(role__gte=Role.STAFF, is_active=True).order_by("role", "pk").first()
    if actor is None:
        return
    segment = Segment.objects.filter(name=SEGMENT_NAME).first() or segment_create(
        actor=actor,
        name=SEGMENT_NAME,
        description="Les personnes de Vallon-sur-Mer joignables par téléphone.",
        definition={
            "op": "and",
            "filters": [
                {"field": "commune", "values": [COMMUNE[1]]},
                {"field": "reachable", "channel": "phone"},
            ],
        },
    )
    script = script_create(
        actor=actor,
        name=SCRIPT_NAME,
        description="Bonjour, je suis bénévole pour la liste « Vallon en commun »…",
    )
    vote = question_add(
        actor=actor, script=script, text="Comptez-vous aller voter dimanche ?", kind="choice"
    )
    support = question_add(
        actor=actor, script=script, text="Pour qui pensez-vous voter ?", kind="support"
    )
    topic = question_add(
        actor=actor, script=script, text="Quel sujet compte le plus pour vous ?", kind="text"
    )
    choice_add(actor=actor, question=vote, label="Oui, sûrement")
    choice_add(actor=actor, question=vote, label="Je ne sais pas encore")
    choice_add(actor=actor, question=vote, label="Non", next_question_id=topic.pk)
    del support  # its five choices come with it (a "support" question)
    campaign = call_campaign_create(
        actor=actor,
        name=CAMPAIGN_NAME,
        segment_id=segment.pk,
        script_id=script.pk,
        description=(
            "Présentez-vous, demandez s'il ou elle ira voter, suivez le script. "
            "Restez courtois·e : « ne plus appeler » est toujours respecté."
        ),
        saturday_hours="10:00-13:00",
        caller_teams=list(Team.objects.filter(name=TEAM_NAME)),
    )
    call_campaign_set_status(actor=actor, campaign=campaign, status="running")
    queued = campaign.entries.count()
    stdout.write(f"phonebank: campaign « {CAMPAIGN_NAME} », running, {queued} people to call")
