"""The people list (scoped, quick search) and the contact sheet with its interaction and consent forms."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.csrf import csrf_token as masked_csrf_token
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.form_html import blank_form_html, form_html
from maillage.core.pagination import NextPage
from maillage.core.roles import Role, has_role
from maillage.people.forms import ConsentForm, InteractionForm
from maillage.people.models import Person
from maillage.people.selectors.people import (
    PersonSheetRows,
    access_person,
    person_list_rows,
    person_list_total,
    person_sheet,
    person_sheet_rows,
    person_sort_for,
    support_visible_to,
)
from maillage.people.selectors.rows import person_list_html, person_rows
from maillage.people.selectors.sheet import person_sheet_html
from maillage.people.services.consent import consent_record
from maillage.people.services.interactions import interaction_record
from maillage.people.services.persons import person_sheet_view_entry

PAGE_SIZE = 50


def _query_without(request: AuthenticatedHttpRequest, *keys: str) -> str:
    query = request.GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


@role_required(Role.VOLUNTEER)
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    sort = person_sort_for(user=request.user, sort=request.GET.get("sort", "name"))
    # No COUNT of the whole result: "next" comes from one extra row, the total is bounded.
    total = person_list_total(user=request.user, query=q)
    rows_source = person_list_rows(user=request.user, query=q, sort=sort, total=total)
    page = NextPage(rows_source, request.GET.get("page"), PAGE_SIZE)
    rows = person_rows(page.object_list)
    return render(
        request,
        "people/person_list.html",
        {
            # Drawn once per language and shape, filled with this request's values (#17).
            "content": person_list_html(
                rows=rows,
                page=page,
                total=total,
                q=q,
                sort=sort,
                query=_query_without(request, "page"),
                sort_query=_query_without(request, "page", "sort"),
                show_support=support_visible_to(user=request.user),
                can_make_list=has_role(request.user, Role.STAFF),
            ),
            # What the page showed, for its tests: the template prints only `content`.
            "page": page,
            "total": total,
            "sort": sort,
            "rows": rows,
        },
    )


def _sheet(
    request: AuthenticatedHttpRequest,
    person: Person,
    interaction_form: InteractionForm | None = None,
    consent_form: ConsentForm | None = None,
    status: int = 200,
    related: PersonSheetRows | None = None,
) -> HttpResponse:
    if related is None:
        related = person_sheet_rows(user=request.user, person=person)
    # One masked token for the page: the header's (through the context) and the two forms'.
    csrf_token = masked_csrf_token(request)
    sheet_html = person_sheet_html(
        person=person,
        related=related,
        is_staff=has_role(request.user, Role.STAFF),
        csrf_token=csrf_token,
        # Blank, these forms print the same for everyone: drawn once per language.
        interaction_form_html=form_html(interaction_form)
        if interaction_form
        else blank_form_html(InteractionForm, fresh={"client_uuid": uuid.uuid4}),
        consent_form_html=form_html(consent_form)
        if consent_form
        else blank_form_html(ConsentForm, prefix="consent"),
    )
    return render(
        request,
        "people/person_detail.html",
        {"person": person, "sheet_html": sheet_html, "csrf_token": csrf_token},
        status=status,
    )


@role_required(Role.VOLUNTEER)
def person_detail(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    # The audit log's line is inserted with the sheet's reads, if the person is in scope.
    entry = person_sheet_view_entry(
        actor=request.user, person_id=person_id, ip_address=request.META.get("REMOTE_ADDR")
    )
    person, related = person_sheet(user=request.user, person_id=person_id, inserting=entry)
    return _sheet(request, person, related=related)


@require_POST
@role_required(Role.VOLUNTEER)
def person_interaction(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = access_person(user=request.user, person_id=person_id)
    form = InteractionForm(request.POST)
    if not form.is_valid():
        return _sheet(request, person, interaction_form=form, status=400)
    data = form.cleaned_data
    try:
        interaction_record(
            actor=request.user,
            person=person,
            channel=data["channel"],
            result=data["result"],
            support_level=data["support_level"],
            occurred_at=timezone.now(),
            note=data["note"],
            question=data["question"],
            client_uuid=data["client_uuid"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _sheet(request, person, interaction_form=form, status=400)
    messages.success(request, _("Résultat enregistré."))
    return redirect("people:person_detail", person_id=person.pk)


@require_POST
@role_required(Role.VOLUNTEER)
def person_consent(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = access_person(user=request.user, person_id=person_id)
    form = ConsentForm(request.POST, prefix="consent")
    if not form.is_valid():
        return _sheet(request, person, consent_form=form, status=400)
    data = form.cleaned_data
    try:
        consent_record(
            actor=request.user,
            person=person,
            channel=data["channel"],
            granted=data["granted"],
            legal_basis=data["legal_basis"],
            source=data["source"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _sheet(request, person, consent_form=form, status=400)
    messages.success(request, _("Consentement enregistré."))
    return redirect("people:person_detail", person_id=person.pk)
