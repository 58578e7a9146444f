"""Reads of scripts: lists for staff and callers, permission-checked loads, the script as the
caller page and the offline app need it (one shape, JSON), and the answers of interactions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import NotFound
from maillage.core.roles import Role, role_of
from maillage.surveys.models import Answer, Choice, Question, Script


def script_list(*, user: User) -> QuerySet[Script]:
    """Staff see every script (with their question counts); volunteers the active ones."""
    level = role_of(user)
    if level < Role.VOLUNTEER:
        return Script.objects.none()
    scripts = Script.objects.annotate(question_count=Count("questions"))
    return scripts if level >= Role.STAFF else scripts.filter(is_active=True)


def access_script(*, user: User, script_id: int | str) -> Script:
    """One script the user may read; NotFound otherwise."""
    try:
        pk = int(script_id)
    except (TypeError, ValueError):
        raise NotFound(_("Ce script n'existe pas.")) from None
    script = script_list(user=user).filter(pk=pk).first()
    if script is None:
        raise NotFound(_("Ce script n'existe pas."))
    return script


def access_question(*, user: User, question_id: int | str) -> Question:
    if role_of(user) < Role.STAFF:
        raise NotFound(_("Cette question n'existe pas."))
    try:
        return Question.objects.select_related("script").get(pk=int(question_id))
    except (TypeError, ValueError, Question.DoesNotExist):
        raise NotFound(_("Cette question n'existe pas.")) from None


def access_choice(*, user: User, choice_id: int | str) -> Choice:
    if role_of(user) < Role.STAFF:
        raise NotFound(_("Cette réponse n'existe pas."))
    try:
        return Choice.objects.select_related("question__script").get(pk=int(choice_id))
    except (TypeError, ValueError, Choice.DoesNotExist):
        raise NotFound(_("Cette réponse n'existe pas.")) from None


def script_for_caller(*, script_id: int) -> Script:
    """The script with its questions (by position) and their choices prefetched: 3 queries.
    The caller has already been allowed on the campaign or turf that names the script."""
    script = (
        Script.objects.filter(pk=script_id)
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.order_by("position", "id").prefetch_related(
                    Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
                ),
            )
        )
        .first()
    )
    if script is None:
        raise NotFound(_("Ce script n'existe pas."))
    return script


def script_as_dict(script: Script) -> dict[str, Any]:
    """The script as JSON for the offline app and the caller page's branching: questions in
    order, each choice with where it leads (`next`: a question id, null = the next question,
    `end`: the script ends). Uses the prefetched rows of `script_for_caller`."""
    return {
        "id": script.pk,
        "name": script.name,
        "description": script.description,
        "questions": [
            {
                "id": question.pk,
                "position": question.position,
                "text": question.text,
                "kind": question.kind,
                "required": question.required,
                "choices": [
                    {
                        "id": choice.pk,
                        "label": choice.label,
                        "next": choice.next_question_id,
                        "end": choice.ends_script,
                        "support_level": choice.support_level,
                    }
                    for choice in question.choices.all()
                ],
            }
            for question in script.questions.all()
        ],
    }


def answers_for_interactions(interaction_ids: Iterable[int]) -> dict[int, list[Answer]]:
    """Answers per interaction (question and choice loaded), in question order: one query."""
    ids = list(interaction_ids)
    found: dict[int, list[Answer]] = defaultdict(list)
    if not ids:
        return {}
    answers = (
        Answer.objects.filter(interaction_id__in=ids)
        .select_related("question", "choice")
        .order_by("interaction_id", "question__position", "question_id")
    )
    for answer in answers:
        found[answer.interaction_id].append(answer)
    return dict(found)


def script_path(script: Script, answers: dict[int, int | str]) -> list[Question]:
    """The questions a person walks through with these answers (question id -> choice id or
    text): from the first, following each choice's branch, else the next by position."""
    questions = list(script.questions.all())
    index = {q.pk: i for i, q in enumerate(questions)}
    path: list[Question] = []
    i = 0
    while i < len(questions):
        question = questions[i]
        path.append(question)
        answer = answers.get(question.pk)
        choice = None
        if question.kind != Question.Kind.TEXT and answer not in (None, ""):
            choice = next((c for c in question.choices.all() if c.pk == answer), None)
        if choice is not None and choice.ends_script:
            break
        if choice is not None and choice.next_question_id in index:
            i = index[choice.next_question_id]
        else:
            i += 1
    return path
