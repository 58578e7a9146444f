"""Segment pages: the list and the people of a segment from organiser up (their zones' people);
the builder with its live count, editing and the CSV export for staff."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.csv_export import csv_response
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.roles import Role, has_role
from maillage.people.forms import SegmentBuilderForm
from maillage.people.models import EmailAddress, PhoneNumber, SupportLevel
from maillage.people.selectors.people import person_sort_for, sort_people, support_visible_to
from maillage.people.selectors.segments import (
    access_segment,
    segment_definition_describe,
    segment_names_referenced,
    segment_queryset,
)
from maillage.people.selectors.segments import segment_list as segments
from maillage.people.services.segments import segment_create as create
from maillage.people.services.segments import segment_export_record, segment_update

PAGE_SIZE = 50
LIST_COLUMNS = (
    "pk",
    "birth_name",
    "usage_name",
    "first_names",
    "birth_year",
    "birth_month",
    "birth_day",
    "polling_station_code",
    "current_support",
    "commune_name",
    "search_name",
)


@role_required(Role.ORGANISER)
def segment_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(segments(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    names = segment_names_referenced(*(s.definition for s in page.object_list))
    rows = [
        (s, segment_definition_describe(s.definition, segment_names=names))
        for s in page.object_list
    ]
    return render(
        request,
        "people/segment_list.html",
        {"page": page, "rows": rows, "query": "", "can_manage": can_export(request.user)},
    )


@role_required(Role.STAFF)
def segment_create(request: HttpRequest) -> HttpResponse:
    form = SegmentBuilderForm(request.POST or None)
    count = None
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data.get("name"):
            form.add_error("name", _("Donnez un nom au segment pour l'enregistrer."))
        else:
            try:
                segment = create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    definition=form.compiled,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Segment enregistré."))
                return redirect("people:segment_detail", segment_id=segment.pk)
    if form.is_bound and not form.errors:
        count = segment_queryset(user=request.user, definition=form.compiled).count()
    return render(
        request,
        "people/segment_form.html",
        {"form": form, "count": count},
        status=400 if form.errors else 200,
    )


@role_required(Role.STAFF)
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    """The builder again, opened on the saved definition: its flat fields when they can say it,
    else the JSON field (see `SegmentBuilderForm.initial_from`)."""
    segment = access_segment(user=request.user, segment_id=segment_id)
    initial = {
        "name": segment.name,
        "description": segment.description,
        **SegmentBuilderForm.initial_from(segment.definition),
    }
    form = SegmentBuilderForm(request.POST or None, initial=initial, segment_id=segment.pk)
    if request.method == "POST" and form.is_valid():
        try:
            segment_update(
                actor=request.user,
                segment=segment,
                name=form.cleaned_data["name"] or segment.name,
                description=form.cleaned_data["description"],
                definition=form.compiled,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Segment modifié."))
            return redirect("people:segment_detail", segment_id=segment.pk)
    count = (
        segment_queryset(
            user=request.user,
            definition=form.compiled if form.is_bound and not form.errors else segment.definition,
            segment_id=segment.pk,
        ).count()
        if not form.errors
        else None
    )
    return render(
        request,
        "people/segment_form.html",
        {"form": form, "count": count, "segment": segment},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required(Role.STAFF)
def segment_count(request: HttpRequest) -> HttpResponse:
    """The builder's live count (htmx, on every change): the same QuerySet as list and export."""
    form = SegmentBuilderForm(request.POST)
    context: dict[str, Any] = {"count": None, "error": ""}
    if form.is_valid():
        context["count"] = segment_queryset(user=request.user, definition=form.compiled).count()
        context["definition"] = form.compiled
    else:
        context["error"] = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(request, "people/_segment_count.html", context)


@role_required(Role.ORGANISER)
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Organisers read a segment over the people of their zones; staff also edit and export."""
    segment = access_segment(user=request.user, segment_id=segment_id)
    sort = person_sort_for(user=request.user, sort=request.GET.get("sort", "name"))
    people = sort_people(
        segment_queryset(user=request.user, definition=segment.definition, segment_id=segment.pk),
        sort,
    ).only(*LIST_COLUMNS)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    names = segment_names_referenced(segment.definition)
    return render(
        request,
        "people/segment_detail.html",
        {
            "segment": segment,
            "description": segment_definition_describe(segment.definition, segment_names=names),
            "page": page,
            "sort": sort,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "rows": _with_age(page.object_list),
            "show_support": support_visible_to(user=request.user),
            "can_manage": can_export(request.user),
        },
    )


def _with_age(people: Any) -> list[tuple[Any, int | None]]:
    year = timezone.localdate().year  # age in the calendar year, as the age filter counts it
    return [(p, year - p.birth_year if p.birth_year else None) for p in people]


def can_export(user: Any) -> bool:
    """Exports and edits are a staff action (role ≥ STAFF); organisers only read segments."""
    return has_role(user, Role.STAFF)


@role_required(Role.STAFF)
def segment_export(request: HttpRequest, segment_id: int) -> HttpResponseBase:
    segment = access_segment(user=request.user, segment_id=segment_id)
    with_support = support_visible_to(user=request.user)
    email = (
        EmailAddress.objects.filter(person_id=OuterRef("pk"))
        .order_by("-is_primary", "id")
        .values("address")[:1]
    )
    phone = (
        PhoneNumber.objects.filter(person_id=OuterRef("pk"))
        .order_by("-is_primary", "id")
        .values("number")[:1]
    )
    people = (
        segment_queryset(user=request.user, definition=segment.definition, segment_id=segment.pk)
        .annotate(email=Subquery(email), phone=Subquery(phone))
        .order_by("polling_station_code", "birth_name", "first_names", "pk")
    )
    count = people.count()
    segment_export_record(
        actor=request.user,
        segment=segment,
        definition=segment.definition,
        count=count,
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    header = [
        _("id"),
        _("nom de naissance"),
        _("nom d'usage"),
        _("prénoms"),
        _("naissance"),
        _("adresse"),
        _("code postal"),
        _("commune"),
        _("bureau"),
        _("e-mail"),
        _("téléphone"),
    ]
    if with_support:
        header.append(_("soutien"))
    labels = dict(SupportLevel.choices)
    fields = [
        "pk",
        "birth_name",
        "usage_name",
        "first_names",
        "birth_year",
        "birth_month",
        "birth_day",
        "address_number",
        "address_street",
        "postcode",
        "commune_name",
        "polling_station_code",
        "email",
        "phone",
        "current_support",
    ]

    def rows() -> Iterator[list[Any]]:
        yield header
        for p in people.values(*fields).iterator(chunk_size=2000):
            born = (
                f"{p['birth_day'] or 0:02d}/{p['birth_month'] or 0:02d}/{p['birth_year']}"
                if p["birth_year"]
                else ""
            )
            row = [
                p["pk"],
                p["birth_name"],
                p["usage_name"],
                p["first_names"],
                born,
                f"{p['address_number']} {p['address_street']}".strip(),
                p["postcode"],
                p["commune_name"],
                p["polling_station_code"],
                p["email"] or "",
                p["phone"] or "",
            ]
            if with_support:
                row.append(
                    str(labels.get(p["current_support"], "")) if p["current_support"] else ""
                )
            yield row

    return csv_response(
        filename=f"segment-{segment.pk}-{timezone.localdate():%Y%m%d}.csv", rows=rows()
    )
