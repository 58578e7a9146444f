"""Staff pages of the script editor: the list, one script with its questions and branching,
and a preview that walks the branching as a volunteer would."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.roles import Role
from maillage.surveys.forms import ChoiceForm, QuestionEditForm, QuestionForm, ScriptForm
from maillage.surveys.models import Question
from maillage.surveys.selectors import (
    access_choice,
    access_question,
    access_script,
    script_for_caller,
    script_list,
    script_path,
)
from maillage.surveys.services import (
    choice_add,
    choice_delete,
    choice_update,
    question_add,
    question_delete,
    question_move,
    question_update,
    script_create,
    script_delete,
    script_update,
)


def _detail(script_id: int) -> HttpResponse:
    return redirect("surveys:script_detail", script_id=script_id)


def _attempt(request: HttpRequest, action: Callable[[], object], done: str) -> bool:
    """Run one service call; its refusal becomes an error message (never a traceback)."""
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


def _invalid(request: HttpRequest, form: object) -> None:
    errors = getattr(form, "errors", {})
    text = " ".join(str(e) for field_errors in errors.values() for e in field_errors)
    messages.error(request, text or _("Le formulaire contient des erreurs."))


@role_required(Role.STAFF)
def script_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ScriptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            script = script_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Script créé."))
            return _detail(script.pk)
    return render(
        request,
        "surveys/script_list.html",
        {"scripts": script_list(user=request.user), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.STAFF)
def script_detail(request: AuthenticatedHttpRequest, script_id: int) -> HttpResponse:
    access_script(user=request.user, script_id=script_id)
    script = script_for_caller(script_id=script_id)
    questions = [
        {
            "question": q,
            "edit_form": QuestionEditForm(
                initial={"text": q.text, "required": q.required}, prefix=f"q{q.pk}"
            ),
            "choices": [
                (
                    c,
                    ChoiceForm(
                        script=script,
                        question=q,
                        prefix=f"c{c.pk}",
                        initial={
                            "label": c.label,
                            "leads_to": "end" if c.ends_script else (c.next_question_id or ""),
                        },
                    ),
                )
                for c in q.choices.all()
            ],
            "new_choice": ChoiceForm(script=script, question=q, prefix=f"new{q.pk}"),
        }
        for q in script.questions.all()
    ]
    return render(
        request,
        "surveys/script_detail.html",
        {
            "script": script,
            "questions": questions,
            "script_form": ScriptForm(
                initial={
                    "name": script.name,
                    "description": script.description,
                    "is_active": script.is_active,
                }
            ),
            "question_form": QuestionForm(),
        },
    )


@require_POST
@role_required(Role.STAFF)
def script_edit(request: AuthenticatedHttpRequest, script_id: int) -> HttpResponse:
    script = access_script(user=request.user, script_id=script_id)
    form = ScriptForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: script_update(actor=request.user, script=script, **form.cleaned_data),
            _("Script enregistré."),
        )
    else:
        _invalid(request, form)
    return _detail(script.pk)


@require_POST
@role_required(Role.STAFF)
def script_remove(request: AuthenticatedHttpRequest, script_id: int) -> HttpResponse:
    script = access_script(user=request.user, script_id=script_id)
    if _attempt(
        request, lambda: script_delete(actor=request.user, script=script), _("Script supprimé.")
    ):
        return redirect("surveys:script_list")
    return _detail(script.pk)


@require_POST
@role_required(Role.STAFF)
def question_create(request: AuthenticatedHttpRequest, script_id: int) -> HttpResponse:
    script = access_script(user=request.user, script_id=script_id)
    form = QuestionForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: question_add(actor=request.user, script=script, **form.cleaned_data),
            _("Question ajoutée."),
        )
    else:
        _invalid(request, form)
    return _detail(script.pk)


@require_POST
@role_required(Role.STAFF)
def question_edit(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    question = access_question(user=request.user, question_id=question_id)
    form = QuestionEditForm(request.POST, prefix=f"q{question.pk}")
    if form.is_valid():
        _attempt(
            request,
            lambda: question_update(actor=request.user, question=question, **form.cleaned_data),
            _("Question enregistrée."),
        )
    else:
        _invalid(request, form)
    return _detail(question.script_id)


@require_POST
@role_required(Role.STAFF)
def question_reorder(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    question = access_question(user=request.user, question_id=question_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    _attempt(
        request,
        lambda: question_move(actor=request.user, question=question, offset=offset),
        _("Question déplacée."),
    )
    return _detail(question.script_id)


@require_POST
@role_required(Role.STAFF)
def question_remove(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    question = access_question(user=request.user, question_id=question_id)
    _attempt(
        request,
        lambda: question_delete(actor=request.user, question=question),
        _("Question supprimée."),
    )
    return _detail(question.script_id)


@require_POST
@role_required(Role.STAFF)
def choice_create(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    question = access_question(user=request.user, question_id=question_id)
    form = ChoiceForm(
        request.POST, script=question.script, question=question, prefix=f"new{question.pk}"
    )
    if form.is_valid():
        next_id, ends = form.branch()
        _attempt(
            request,
            lambda: choice_add(
                actor=request.user,
                question=question,
                label=form.cleaned_data["label"],
                next_question_id=next_id,
                ends_script=ends,
            ),
            _("Réponse ajoutée."),
        )
    else:
        _invalid(request, form)
    return _detail(question.script_id)


@require_POST
@role_required(Role.STAFF)
def choice_edit(request: AuthenticatedHttpRequest, choice_id: int) -> HttpResponse:
    choice = access_choice(user=request.user, choice_id=choice_id)
    question = choice.question
    form = ChoiceForm(
        request.POST, script=question.script, question=question, prefix=f"c{choice.pk}"
    )
    if form.is_valid():
        next_id, ends = form.branch()
        _attempt(
            request,
            lambda: choice_update(
                actor=request.user,
                choice=choice,
                label=form.cleaned_data["label"],
                next_question_id=next_id,
                ends_script=ends,
            ),
            _("Réponse enregistrée."),
        )
    else:
        _invalid(request, form)
    return _detail(question.script_id)


@require_POST
@role_required(Role.STAFF)
def choice_remove(request: AuthenticatedHttpRequest, choice_id: int) -> HttpResponse:
    choice = access_choice(user=request.user, choice_id=choice_id)
    _attempt(
        request, lambda: choice_delete(actor=request.user, choice=choice), _("Réponse supprimée.")
    )
    return _detail(choice.question.script_id)


@role_required(Role.STAFF)
def script_preview(request: AuthenticatedHttpRequest, script_id: int) -> HttpResponse:
    """Walk the script as a volunteer would: each answer (carried in the query string) leads to
    the question its branch names, without saving anything."""
    access_script(user=request.user, script_id=script_id)
    script = script_for_caller(script_id=script_id)
    by_id = {q.pk: q for q in script.questions.all()}
    given: dict[int, int | str] = {}
    for key in request.GET:
        raw = request.GET.get(key, "")
        if key.startswith("a") and key[1:].isdigit() and int(key[1:]) in by_id:
            question = by_id[int(key[1:])]
            given[question.pk] = int(raw) if question.kind != "text" and raw.isdigit() else raw
    steps: list[tuple[Question, str]] = []
    current: Question | None = None
    for question in script_path(script, given):
        if question.pk not in given:
            current = question
            break
        answer = given[question.pk]
        choice = next((c for c in question.choices.all() if c.pk == answer), None)
        steps.append((question, choice.label if choice else str(answer)))
    return render(
        request,
        "surveys/script_preview.html",
        {
            "script": script,
            "steps": steps,
            "current": current,
            "carried": [(f"a{q.pk}", given[q.pk]) for q, _answer in steps],
            "restart": reverse("surveys:script_preview", args=[script.pk]),
        },
    )
