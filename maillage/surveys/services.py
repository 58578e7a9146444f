"""Writes of scripts: scripts, ordered questions, choices that branch forward, and answers.

Branching only goes forward (to a later question of the same script, or to the end), so a
script always ends; every edit that could break that (a branch, a move) is checked, and an
answered question or choice is never deleted (its answers would lose their meaning)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.selectors import Interaction, SupportLevel
from maillage.surveys.models import Answer, Choice, Question, Script
from maillage.surveys.selectors import script_for_caller, script_path

Action = AuditLogEntry.Action


class ScriptError(ApplicationError):
    """A script edit or an answer that the script's rules refuse; the message says why."""


def _name(value: str) -> str:
    name = value.strip()
    if not name:
        raise ScriptError(_("Un script a un nom."))
    if len(name) > max_length(Script, "name"):
        raise ScriptError(_("Le nom du script est trop long."))
    return name


def _audit(actor: User, action: str, script: Script, changes: Mapping[str, object]) -> None:
    audit_log_record(actor=actor, action=action, target=script, changes=dict(changes))


@transaction.atomic
def script_create(
    *, actor: User, name: str, description: str = "", is_active: bool = True
) -> Script:
    script = Script.objects.create(
        name=_name(name), description=description.strip(), is_active=is_active, created_by=actor
    )
    _audit(actor, Action.CREATE, script, {"name": script.name})
    return script


@transaction.atomic
def script_update(
    *, actor: User, script: Script, name: str, description: str, is_active: bool
) -> Script:
    fields = {"name": _name(name), "description": description.strip(), "is_active": is_active}
    changes = {k: [getattr(script, k), v] for k, v in fields.items() if getattr(script, k) != v}
    if changes:
        for key, value in fields.items():
            setattr(script, key, value)
        script.save(update_fields=[*fields, "updated_at"])
        _audit(actor, Action.UPDATE, script, changes)
    return script


@transaction.atomic
def script_delete(*, actor: User, script: Script) -> None:
    if Answer.objects.filter(question__script=script).exists():
        raise ScriptError(
            _("Ce script a déjà des réponses : désactivez-le plutôt que de le supprimer.")
        )
    _audit(actor, Action.DELETE, script, {"name": script.name})
    script.delete()


def _text(value: str) -> str:
    text = value.strip()
    if not text:
        raise ScriptError(_("Une question a un texte."))
    return text


@transaction.atomic
def question_add(
    *, actor: User, script: Script, text: str, kind: str, required: bool = False
) -> Question:
    """Add a question at the end. A support question comes with its five standard choices."""
    if kind not in Question.Kind.values:
        raise ScriptError(_("Type de question inconnu : %(kind)s.") % {"kind": kind})
    if (
        kind == Question.Kind.SUPPORT
        and script.questions.filter(kind=Question.Kind.SUPPORT).exists()
    ):
        raise ScriptError(_("Un script n'a qu'une question de niveau de soutien."))
    last = script.questions.aggregate(last=Max("position"))["last"] or 0
    question = Question.objects.create(
        script=script, position=last + 1, text=_text(text), kind=kind, required=required
    )
    if kind == Question.Kind.SUPPORT:
        Choice.objects.bulk_create(
            [
                Choice(question=question, position=i, label=str(label), support_level=value)
                for i, (value, label) in enumerate(SupportLevel.choices, start=1)
            ]
        )
    _audit(actor, Action.UPDATE, script, {"question_added": question.text})
    return question


@transaction.atomic
def question_update(*, actor: User, question: Question, text: str, required: bool) -> Question:
    question.text, question.required = _text(text), required
    question.save(update_fields=["text", "required"])
    _audit(actor, Action.UPDATE, question.script, {"question_changed": question.text})
    return question


@transaction.atomic
def question_move(*, actor: User, question: Question, offset: int) -> Question:
    """Move a question one place up (-1) or down (+1); refused when a branch would then point
    backwards."""
    if offset not in (-1, 1):
        raise ScriptError(_("Une question se déplace d'une place à la fois."))
    questions = list(question.script.questions.order_by("position", "id"))
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    other = index + offset
    if not 0 <= other < len(questions):
        return question
    questions[index], questions[other] = questions[other], questions[index]
    _renumber(questions)
    _check_forward(question.script)
    _audit(actor, Action.UPDATE, question.script, {"question_moved": question.text})
    question.refresh_from_db(fields=["position"])
    return question


def _renumber(questions: list[Question]) -> None:
    for position, item in enumerate(questions, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


def _check_forward(script: Script) -> None:
    """Every branch leads to a later question of the same script (so a script always ends)."""
    positions = dict(script.questions.values_list("pk", "position"))
    for choice in Choice.objects.filter(
        question__script=script, next_question__isnull=False
    ).select_related("question", "next_question"):
        target = positions.get(choice.next_question_id or 0)
        if target is None or target <= choice.question.position:
            raise ScriptError(
                _(
                    "La réponse « %(choice)s » mènerait en arrière, à la question "
                    "« %(target)s » : un embranchement ne mène qu'à une question plus loin."
                )
                % {"choice": choice.label, "target": choice.next_question}
            )


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    if question.answers.exists():
        raise ScriptError(
            _("Cette question a déjà des réponses : elle ne peut plus être supprimée.")
        )
    script = question.script
    _audit(actor, Action.UPDATE, script, {"question_deleted": question.text})
    question.delete()  # branches to it fall back to "the next question"
    _renumber(list(script.questions.order_by("position", "id")))


def _branch(question: Question, next_question_id: int | None, ends_script: bool) -> Question | None:
    if next_question_id is None:
        return None
    if ends_script:
        raise ScriptError(_("Une réponse termine le script ou mène à une question, pas les deux."))
    target = Question.objects.filter(pk=next_question_id, script_id=question.script_id).first()
    if target is None:
        raise ScriptError(_("La question suivante doit appartenir au même script."))
    if target.position <= question.position:
        raise ScriptError(
            _(
                "Un embranchement ne mène qu'à une question plus loin dans le script "
                "(pas de retour en arrière, pas de boucle)."
            )
        )
    return target


def _label(value: str) -> str:
    label = value.strip()
    if not label:
        raise ScriptError(_("Une réponse a un libellé."))
    if len(label) > max_length(Choice, "label"):
        raise ScriptError(_("Le libellé de la réponse est trop long."))
    return label


@transaction.atomic
def choice_add(
    *,
    actor: User,
    question: Question,
    label: str,
    next_question_id: int | None = None,
    ends_script: bool = False,
) -> Choice:
    if question.kind == Question.Kind.TEXT:
        raise ScriptError(_("Une question à réponse libre n'a pas de choix."))
    if question.kind == Question.Kind.SUPPORT:
        raise ScriptError(_("Les choix de la question de soutien sont fixes."))
    last = question.choices.aggregate(last=Max("position"))["last"] or 0
    choice = Choice.objects.create(
        question=question,
        position=last + 1,
        label=_label(label),
        next_question=_branch(question, next_question_id, ends_script),
        ends_script=ends_script,
    )
    _audit(actor, Action.UPDATE, question.script, {"choice_added": choice.label})
    return choice


@transaction.atomic
def choice_update(
    *,
    actor: User,
    choice: Choice,
    label: str,
    next_question_id: int | None = None,
    ends_script: bool = False,
) -> Choice:
    """Change a choice's label (not for the support question's fixed labels) and its branch."""
    question = choice.question
    if question.kind != Question.Kind.SUPPORT:
        choice.label = _label(label)
    choice.next_question = _branch(question, next_question_id, ends_script)
    choice.ends_script = ends_script
    choice.save(update_fields=["label", "next_question", "ends_script"])
    _audit(actor, Action.UPDATE, question.script, {"choice_changed": choice.label})
    return choice


@transaction.atomic
def choice_delete(*, actor: User, choice: Choice) -> None:
    if choice.question.kind == Question.Kind.SUPPORT:
        raise ScriptError(_("Les choix de la question de soutien sont fixes."))
    if choice.answers.exists():
        raise ScriptError(_("Cette réponse a déjà été donnée : elle ne peut plus être supprimée."))
    _audit(actor, Action.UPDATE, choice.question.script, {"choice_deleted": choice.label})
    choice.delete()


def answers_record(
    *, interaction: Interaction, script: Script, answers: Mapping[int, str | int]
) -> list[Answer]:
    """Store the answers given during an interaction (question id -> choice id, or text for a
    free question). Validated against the script: every question belongs to it, every choice
    to its question, and the answers follow the branching (no answer to a question the path
    skips, every required question on the path answered). Idempotent per interaction: when it
    already has answers they are returned unchanged (an offline retry)."""
    existing = list(Answer.objects.filter(interaction=interaction).select_related("choice"))
    if existing:
        return existing
    loaded = script_for_caller(script_id=script.pk)
    questions = {q.pk: q for q in loaded.questions.all()}
    cleaned: dict[int, int | str] = {}
    for raw_id, value in answers.items():
        question = questions.get(int(raw_id))
        if question is None:
            raise ScriptError(_("Cette question n'appartient pas au script."))
        if question.kind == Question.Kind.TEXT:
            text = str(value).strip()
            if text:
                cleaned[question.pk] = text
            continue
        try:
            choice_id = int(value)
        except (TypeError, ValueError):
            raise ScriptError(
                _("La réponse à « %(question)s » doit être un des choix proposés.")
                % {"question": question}
            ) from None
        if not any(c.pk == choice_id for c in question.choices.all()):
            raise ScriptError(
                _("La réponse à « %(question)s » doit être un des choix proposés.")
                % {"question": question}
            )
        cleaned[question.pk] = choice_id
    path = script_path(loaded, cleaned)
    on_path = {q.pk for q in path}
    for question_id in cleaned:
        if question_id not in on_path:
            raise ScriptError(
                _("La question « %(question)s » n'est pas sur le chemin des réponses données.")
                % {"question": questions[question_id]}
            )
    for question in path:
        if question.required and question.pk not in cleaned:
            raise ScriptError(
                _("La question « %(question)s » demande une réponse.") % {"question": question}
            )
    rows = [
        Answer(
            interaction=interaction,
            question_id=question_id,
            choice_id=value if isinstance(value, int) else None,
            text=value if isinstance(value, str) else "",
        )
        for question_id, value in cleaned.items()
    ]
    try:
        with transaction.atomic():
            Answer.objects.bulk_create(rows)
    except IntegrityError:  # the same interaction's answers stored by a concurrent retry
        return list(Answer.objects.filter(interaction=interaction).select_related("choice"))
    return rows
