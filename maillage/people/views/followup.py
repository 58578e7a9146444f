"""Staff pages of the contact-attempt ledger: the questions inbox, the follow-up rules and
contact cap, and the conflicts to review."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.roles import Role
from maillage.people.forms_followup import ContactPolicyForm, QuestionAnswerForm, QuestionFilterForm
from maillage.people.selectors.contact_cap import contact_policy
from maillage.people.selectors.followup import FOLLOWUP_KINDS
from maillage.people.selectors.questions import (
    access_question,
    conflict_list,
    question_inbox,
    source_label,
)
from maillage.people.services.contact_attempts import (
    POLICY_FIELDS,
    contact_policy_update,
    interaction_review_clear,
)
from maillage.people.services.persons import person_sheet_view
from maillage.people.services.questions import question_answer, question_reply_address

PAGE_SIZE = 50


@role_required(Role.STAFF)
def question_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = QuestionFilterForm(request.GET or None)
    status = (
        form.cleaned_data["status"] if form.is_valid() and form.cleaned_data["status"] else "open"
    )
    page = Paginator(question_inbox(user=request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(item, source_label(item.source_kind, item.source_id)) for item in page.object_list]
    return render(
        request,
        "people/question_list.html",
        {"page": page, "rows": rows, "status": status, "filter_form": form},
    )


@role_required(Role.STAFF)
def question_detail(request: AuthenticatedHttpRequest, interaction_id: int) -> HttpResponse:
    item = access_question(user=request.user, interaction_id=interaction_id)
    form = QuestionAnswerForm(request.POST or None, initial={"answer": item.question_answer})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                question_answer(
                    actor=request.user,
                    interaction=item,
                    answer=form.cleaned_data["answer"],
                    send_email=form.cleaned_data["send_email"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                if form.cleaned_data["send_email"]:
                    messages.success(request, _("Réponse enregistrée et envoyée par e-mail."))
                else:
                    messages.success(request, _("Réponse enregistrée."))
                return redirect("people:question_list")
        status = 400
    else:
        # The page shows the person and their email: a view of person data, logged.
        person_sheet_view(
            actor=request.user, person=item.person, ip_address=request.META.get("REMOTE_ADDR")
        )
    return render(
        request,
        "people/question_detail.html",
        {
            "item": item,
            "form": form,
            "reply_to": question_reply_address(item.person),
            "source": source_label(item.source_kind, item.source_id),
        },
        status=status,
    )


@role_required(Role.STAFF)
def contact_policy_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    policy = contact_policy()
    initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
    form = ContactPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contact_policy_update(actor=request.user, values=form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Règles de suivi enregistrées."))
            return redirect("people:contact_policy")
    return render(
        request,
        "people/contact_policy.html",
        {"form": form, "kinds": FOLLOWUP_KINDS},
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.STAFF)
def conflict_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(conflict_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/conflict_list.html", {"page": page})


@require_POST
@role_required(Role.STAFF)
def conflict_clear(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("interaction") if v.isdigit()]
    cleared = interaction_review_clear(actor=request.user, interaction_ids=ids)
    messages.success(
        request,
        ngettext("%(count)s résultat vérifié.", "%(count)s résultats vérifiés.", cleared)
        % {"count": cleared},
    )
    return redirect("people:conflict_list")
