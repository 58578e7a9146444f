"""Staff lists pages: the lists with their size and assignees, a new list from a segment or a
search, one list's people, and its assignment to volunteers and teams."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.roles import Role
from maillage.people.forms_lists import (
    PersonListAssignForm,
    PersonListCreateForm,
    PersonListUnassignForm,
)
from maillage.people.models import PersonList
from maillage.people.selectors.lists import (
    access_person_list,
    person_list_assignable_teams,
    person_list_assignable_users,
    person_list_index,
    person_list_members,
    person_list_source,
)
from maillage.people.selectors.segments import segment_list
from maillage.people.services.lists import (
    person_list_assign,
    person_list_create,
    person_list_unassign,
)

PAGE_SIZE = 50
MEMBER_COLUMNS = (
    "pk",
    "birth_name",
    "usage_name",
    "first_names",
    "address_number",
    "address_street",
    "commune_name",
    "polling_station_code",
)


@role_required(Role.STAFF)
def list_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(person_list_index(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "people/lists/index.html", {"page": page, "query": ""})


@role_required(Role.STAFF)
def list_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PersonListCreateForm(
        request.POST or None,
        initial={"query": request.GET.get("q", "")[:200], "segment": request.GET.get("segment")},
        segments=segment_list(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person_list = person_list_create(
                actor=request.user,
                name=data["name"],
                people=person_list_source(
                    user=request.user, segment=data["segment"], query=data["query"]
                ),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Liste créée."))
            return redirect("people:list_detail", list_id=person_list.pk)
    return render(
        request, "people/lists/form.html", {"form": form}, status=400 if form.errors else 200
    )


def _detail(
    request: AuthenticatedHttpRequest,
    person_list: PersonList,
    form: PersonListAssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    form = form or PersonListAssignForm(
        users=person_list_assignable_users(user=request.user),
        teams=person_list_assignable_teams(user=request.user),
    )
    members = person_list_members(user=request.user, person_list=person_list)
    page = Paginator(members.only(*MEMBER_COLUMNS), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "people/lists/detail.html",
        {"person_list": person_list, "form": form, "page": page, "query": ""},
        status=status,
    )


@role_required(Role.STAFF)
def list_detail(request: AuthenticatedHttpRequest, list_id: int) -> HttpResponse:
    return _detail(request, access_person_list(user=request.user, list_id=list_id))


@require_POST
@role_required(Role.STAFF)
def list_assign(request: AuthenticatedHttpRequest, list_id: int) -> HttpResponse:
    person_list = access_person_list(user=request.user, list_id=list_id)
    form = PersonListAssignForm(
        request.POST,
        users=person_list_assignable_users(user=request.user),
        teams=person_list_assignable_teams(user=request.user),
    )
    if form.is_valid():
        try:
            person_list_assign(
                actor=request.user,
                person_list=person_list,
                users=form.cleaned_data["users"],
                teams=form.cleaned_data["teams"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Liste attribuée."))
            return redirect("people:list_detail", list_id=person_list.pk)
    return _detail(request, person_list, form, status=400)


@require_POST
@role_required(Role.STAFF)
def list_unassign(request: AuthenticatedHttpRequest, list_id: int) -> HttpResponse:
    person_list = access_person_list(user=request.user, list_id=list_id)
    form = PersonListUnassignForm(
        request.POST,
        users=person_list.assigned_users.all(),
        teams=person_list.assigned_teams.all(),
    )
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("people:list_detail", list_id=person_list.pk)
    user, team = form.cleaned_data["user"], form.cleaned_data["team"]
    try:
        person_list_unassign(
            actor=request.user,
            person_list=person_list,
            users=[user] if user else [],
            teams=[team] if team else [],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(name)s ne reçoit plus cette liste.") % {"name": user or team}
        )
    return redirect("people:list_detail", list_id=person_list.pk)
