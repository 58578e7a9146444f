"""Demo script of the campaign: the first door-to-door visit, with the support question, a
branching question and a free question. Idempotent (found by name)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from maillage.accounts.demo import ORGANISER_EMAIL
from maillage.accounts.models import User
from maillage.surveys.models import Script
from maillage.surveys.services import choice_add, choice_update, question_add, script_create

SCRIPT_NAME = "Porte-à-porte : premier passage"


@transaction.atomic
def load_demo(*, stdout: Any, small: bool = False) -> None:
    if Script.objects.filter(name=SCRIPT_NAME).exists():
        stdout.write(f"surveys: script « {SCRIPT_NAME} » already there")
        return
    actor = (
        User.objects.filter(email=ORGANISER_EMAIL).first()
        or User.objects.filter(is_superuser=True).first()
    )
    if actor is None:  # the accounts demo runs first (INSTALLED_APPS order)
        return
    script = script_create(
        actor=actor,
        name=SCRIPT_NAME,
        description="Se présenter, demander l'intention de vote, écouter ce qui compte.",
    )
    question_add(
        actor=actor,
        script=script,
        text="Pour les prochaines élections, vous vous sentez plutôt…",
        kind="support",
        required=True,
    )
    topic = question_add(
        actor=actor, script=script, text="Qu'est-ce qui compte le plus pour vous ?", kind="choice"
    )
    transport = choice_add(actor=actor, question=topic, label="Les transports")
    choice_add(actor=actor, question=topic, label="Le logement")
    choice_add(actor=actor, question=topic, label="La santé")
    choice_add(actor=actor, question=topic, label="Rien de particulier", ends_script=True)
    line = question_add(
        actor=actor, script=script, text="Quelle ligne de bus prenez-vous ?", kind="text"
    )
    inform = question_add(
        actor=actor,
        script=script,
        text="Souhaitez-vous être tenu·e informé·e ? (noter e-mail ou téléphone avec le consentement)",
        kind="choice",
    )
    choice_add(actor=actor, question=inform, label="Oui")
    choice_add(actor=actor, question=inform, label="Non")
    question_add(actor=actor, script=script, text="Une remarque à transmettre ?", kind="text")
    # Transport asks which bus line; housing and health skip that question.
    choice_update(actor=actor, choice=transport, label=transport.label, next_question_id=line.pk)
    for choice in topic.choices.exclude(pk=transport.pk).filter(ends_script=False):
        choice_update(actor=actor, choice=choice, label=choice.label, next_question_id=inform.pk)
    stdout.write(f"surveys: script « {SCRIPT_NAME} »")
