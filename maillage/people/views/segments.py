"""Segment pages: the list and the people of a segment from organiser up (their zones' people);
the builder with its live count, editing and the CSV export for staff."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.csv_export import csv_response
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.pagination import RowsByBounds
from maillage.core.roles import Role, has_role
from maillage.people.forms import SegmentBuilderForm
from maillage.people.selectors.people import person_sort_for, support_visible_to
from maillage.people.selectors.rows import person_rows, segment_page_html
from maillage.people.selectors.segments import (
    access_segment,
    segment_definition_describe,
    segment_export_header,
    segment_export_people,
    segment_export_rows,
    segment_names_referenced,
    segment_page_rows,
    segments_described,
)
from maillage.people.selectors.segments import segment_count as people_count
from maillage.people.selectors.segments import segment_list as segments
from maillage.people.services.segments import segment_create as create
from maillage.people.services.segments import segment_export_record, segment_update

PAGE_SIZE = 50


@role_required(Role.ORGANISER)
def segment_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(segments(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = segments_described(page.object_list)
    return render(
        request,
        "people/segment_list.html",
        {"page": page, "rows": rows, "query": "", "can_manage": has_role(request.user, Role.STAFF)},
    )


@role_required(Role.STAFF)
def segment_create(request: AuthenticatedHttpRequest) -> HttpResponse:
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
        count = people_count(user=request.user, definition=form.compiled)
    return render(
        request,
        "people/segment_form.html",
        {"form": form, "count": count},
        status=400 if form.errors else 200,
    )


@role_required(Role.STAFF)
def segment_edit(request: AuthenticatedHttpRequest, segment_id: int) -> HttpResponse:
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
    count = None
    if not form.errors:
        definition = form.compiled if form.is_bound else segment.definition
        count = people_count(user=request.user, definition=definition, segment_id=segment.pk)
    return render(
        request,
        "people/segment_form.html",
        {"form": form, "count": count, "segment": segment},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required(Role.STAFF)
def segment_count(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The builder's live count (htmx, on every change): the same QuerySet as list and export."""
    form = SegmentBuilderForm(request.POST)
    context: dict[str, Any] = {"count": None, "error": ""}
    if form.is_valid():
        context["count"] = people_count(user=request.user, definition=form.compiled)
        context["definition"] = form.compiled
    else:
        context["error"] = form.error_summary()
    return render(request, "people/_segment_count.html", context)


@role_required(Role.ORGANISER)
def segment_detail(request: AuthenticatedHttpRequest, segment_id: int) -> HttpResponse:
    """Organisers read a segment over the people of their zones; staff also edit and export."""
    segment = access_segment(user=request.user, segment_id=segment_id)
    sort = person_sort_for(user=request.user, sort=request.GET.get("sort", "name"))
    # Segment counts stay exact (#17); counted first, so a small segment is sorted as found.
    # The rows the page most likely shows are read with the count (one round trip).
    number = request.GET.get("page", "1")
    first = (int(number) - 1) * PAGE_SIZE if number.isdigit() and 0 < int(number) < 10**6 else 0
    matches, rows_source = segment_page_rows(
        user=request.user, segment=segment, sort=sort, first_page=(first, PAGE_SIZE)
    )
    listed = (
        rows_source if isinstance(rows_source, QuerySet) else RowsByBounds(rows_source, matches)
    )
    paginator = Paginator(listed, PAGE_SIZE)  # type: ignore[arg-type]
    paginator.count = matches  # the count above: Paginator would run the same COUNT again
    page = paginator.get_page(request.GET.get("page"))
    rows = person_rows(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    names = segment_names_referenced(segment.definition)
    return render(
        request,
        "people/segment_detail.html",
        {
            # Drawn once per language and shape, filled with this request's values (#17).
            "content": segment_page_html(
                segment=segment,
                described=segment_definition_describe(segment.definition, segment_names=names),
                rows=rows,
                page=page,
                sort=sort,
                query=query.urlencode(),
                sort_query=sort_query.urlencode(),
                show_support=support_visible_to(user=request.user),
                can_manage=has_role(request.user, Role.STAFF),
            ),
            "segment": segment,  # the page's title
            # What the page showed, for its tests: the template prints only `content`.
            "page": page,
            "sort": sort,
            "rows": rows,
        },
    )


@role_required(Role.STAFF)
def segment_export(request: AuthenticatedHttpRequest, segment_id: int) -> HttpResponseBase:
    segment = access_segment(user=request.user, segment_id=segment_id)
    people = segment_export_people(user=request.user, segment=segment)
    count = people.count()
    segment_export_record(
        actor=request.user,
        segment=segment,
        definition=segment.definition,
        count=count,
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    header = segment_export_header()

    return csv_response(
        filename=f"segment-{segment.pk}-{timezone.localdate():%Y%m%d}.csv",
        rows=itertools.chain([header], segment_export_rows(people)),
    )
