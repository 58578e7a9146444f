"""Turf pages: the list with counts, cutting a turf (stations, streets, segment, map), one
turf (map, walk list, assignments), the printable walk list and the paper results typed back in.

Volunteers reach the turfs handed to them (read, print, type results back in); organisers
and staff cut and hand out turfs. Every load goes through `access_turf`, so a guessed id is a
404 and never a hint that the turf exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.canvassing import geo
from maillage.canvassing.forms import (
    PaperEntryHeaderForm,
    PolygonTurfForm,
    SegmentTurfForm,
    StationTurfForm,
    StreetsTurfForm,
    TurfAssignForm,
)
from maillage.canvassing.models import Turf, TurfAssignment
from maillage.canvassing.paper import (
    entry_page,
    entry_rows,
    paper_results_record,
    paper_rows_parse,
    result_choices,
    support_choices,
    walk_list_pdf,
    walk_list_sheets,
)
from maillage.canvassing.selectors import (
    access_managed_turf,
    access_turf,
    can_manage_turfs,
    running_q,
    turf_assignable_teams,
    turf_assignable_users,
    turf_assignments,
    turf_list_for,
    turf_manageable,
    walk_list,
)
from maillage.canvassing.services import (
    turf_archive,
    turf_assign,
    turf_create_from_polygon,
    turf_create_from_segment,
    turf_create_from_stations,
    turf_create_from_streets,
    turf_unassign,
)
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError, NotFound
from maillage.core.roles import Role
from maillage.people.selectors.segments import segment_list

PAGE_SIZE = 50
ENTRY_PEOPLE_PER_PAGE = 40

KINDS = {
    Turf.Kind.STATION: StationTurfForm,
    Turf.Kind.STREETS: StreetsTurfForm,
    Turf.Kind.SEGMENT: SegmentTurfForm,
    Turf.Kind.POLYGON: PolygonTurfForm,
}


@role_required(Role.VOLUNTEER)
def turf_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = geo.today()
    running = (
        TurfAssignment.objects.filter(running_q(today))
        .select_related("user", "team")
        .order_by("starts_on", "pk")
    )
    turfs = turf_list_for(user=request.user).prefetch_related(
        Prefetch("assignments", queryset=running, to_attr="running")
    )
    page = Paginator(turfs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "canvassing/turfs/list.html",
        {"page": page, "can_manage": can_manage_turfs(user=request.user), "query": ""},
    )


def _create_form(kind: str, request: AuthenticatedHttpRequest) -> Any:
    form_class = KINDS[kind]  # type: ignore[index]
    data = request.POST if request.method == "POST" else None
    if form_class is SegmentTurfForm:
        return SegmentTurfForm(data, segments=segment_list(user=request.user))
    return form_class(data)


def _create(kind: str, request: AuthenticatedHttpRequest, data: dict[str, Any]) -> Turf:
    common = {"actor": request.user, "name": data["name"], "description": data["description"]}
    if kind == Turf.Kind.STATION:
        return turf_create_from_stations(**common, station_codes=data["stations"])
    if kind == Turf.Kind.STREETS:
        return turf_create_from_streets(
            **common, commune_code=data["commune_code"], street_names=data["streets"]
        )
    if kind == Turf.Kind.SEGMENT:
        return turf_create_from_segment(
            **common, segment_id=data["segment"].pk, station_codes=data["stations"]
        )
    return turf_create_from_polygon(**common, geometry=data["geometry"])


@role_required(Role.ORGANISER)
def turf_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", Turf.Kind.STATION)
    if kind not in KINDS:
        kind = Turf.Kind.STATION
    form = _create_form(kind, request)
    if request.method == "POST" and form.is_valid():
        try:
            turf = _create(kind, request, form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Secteur créé : %(people)s personnes, %(doors)s portes.")
                % {"people": turf.member_count, "doors": turf.door_count},
            )
            return redirect("canvassing:turf_detail", turf_id=turf.pk)
    response = render(
        request,
        "canvassing/turfs/create.html",
        {
            "form": form,
            "kind": kind,
            "kinds": Turf.Kind.choices,
            "map": geo.map_config(),
            "view": geo.initial_view(user=request.user) if kind == Turf.Kind.POLYGON else "",
        },
        status=400 if form.errors else 200,
    )
    return geo.allow_tiles(response)


def _detail(
    request: AuthenticatedHttpRequest,
    turf: Turf,
    form: TurfAssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    manageable = turf_manageable(user=request.user, turf=turf)
    if manageable and form is None:
        form = TurfAssignForm(
            users=turf_assignable_users(user=request.user),
            teams=turf_assignable_teams(user=request.user),
        )
    doors = walk_list(turf=turf)
    response = render(
        request,
        "canvassing/turfs/detail.html",
        {
            "turf": turf,
            "doors": doors,
            "assignments": list(turf_assignments(turf=turf)) if manageable else [],
            "manageable": manageable,
            "form": form,
            "map": geo.map_config(),
            "has_map": bool(turf.geometry) or any(d.latitude is not None for d in doors),
            "sheets": walk_list_sheets(turf=turf),
            "person_links": True,
            # One reverse() for the page, not one per person: /people/<id>/ is prefix + id.
            "person_url_prefix": reverse("people:person_detail", args=[0])[:-2],
        },
        status=status,
    )
    return geo.allow_tiles(response)


@role_required(Role.VOLUNTEER)
def turf_detail(request: AuthenticatedHttpRequest, turf_id: int) -> HttpResponse:
    return _detail(request, access_turf(user=request.user, turf_id=turf_id))


@role_required(Role.VOLUNTEER)
def turf_map_data(request: AuthenticatedHttpRequest, turf_id: int) -> JsonResponse:
    """The turf's outline and its geocoded doors (no names: the map needs places only)."""
    turf = access_turf(user=request.user, turf_id=turf_id)
    return JsonResponse(geo.turf_features(turf=turf))


@role_required(Role.ORGANISER)
def people_points(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Geocoded addresses in the map's view, within the user's scope, to draw a turf over:
    points only (no name, no id), at most `geo.MAX_POINTS`."""
    try:
        bbox = [float(v) for v in request.GET.get("bbox", "").split(",")]
    except ValueError:
        bbox = []
    if len(bbox) != 4:
        return JsonResponse({"error": _("Zone de carte illisible.")}, status=400)
    return JsonResponse(
        geo.people_points(user=request.user, bbox=(bbox[0], bbox[1], bbox[2], bbox[3]))
    )


@require_POST
@role_required(Role.ORGANISER)
def turf_assign_view(request: AuthenticatedHttpRequest, turf_id: int) -> HttpResponse:
    turf = access_managed_turf(user=request.user, turf_id=turf_id)
    form = TurfAssignForm(
        request.POST,
        users=turf_assignable_users(user=request.user),
        teams=turf_assignable_teams(user=request.user),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            turf_assign(
                actor=request.user,
                turf=turf,
                users=data["users"],
                teams=data["teams"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Secteur attribué."))
            return redirect("canvassing:turf_detail", turf_id=turf.pk)
    return _detail(request, turf, form, status=400)


@require_POST
@role_required(Role.ORGANISER)
def turf_unassign_view(
    request: AuthenticatedHttpRequest, turf_id: int, assignment_id: int
) -> HttpResponse:
    turf = access_managed_turf(user=request.user, turf_id=turf_id)
    assignment = turf_assignments(turf=turf).filter(pk=assignment_id).first()
    if assignment is None:
        raise NotFound(_("Cette attribution n'existe pas."))
    turf_unassign(actor=request.user, assignment=assignment)
    messages.success(request, _("Attribution retirée."))
    return redirect("canvassing:turf_detail", turf_id=turf.pk)


@require_POST
@role_required(Role.ORGANISER)
def turf_archive_view(request: AuthenticatedHttpRequest, turf_id: int) -> HttpResponse:
    turf = access_managed_turf(user=request.user, turf_id=turf_id)
    turf_archive(actor=request.user, turf=turf)
    messages.success(request, _("Secteur archivé."))
    return redirect("canvassing:turf_list")


@role_required(Role.VOLUNTEER)
def walk_list_print(request: AuthenticatedHttpRequest, turf_id: int) -> HttpResponse:
    """One sheet of the walk list as PDF, to print (an export of personal data: audited)."""
    turf = access_turf(user=request.user, turf_id=turf_id)
    sheet = _page_number(request.GET.get("sheet"))
    pdf = walk_list_pdf(actor=request.user, turf=turf, sheet=sheet, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="secteur-{turf.pk}-feuille-{max(sheet, 1)}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response


def _page_number(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


@role_required(Role.VOLUNTEER)
def paper_entry(request: AuthenticatedHttpRequest, turf_id: int) -> HttpResponse:
    """Type a paper sheet's results back in: one row per person, keyboard first (a digit picks
    the result, another the support level, Tab moves on), about 40 people a page."""
    turf = access_turf(user=request.user, turf_id=turf_id)
    page_number = _page_number(request.GET.get("page"))
    doors, pages = entry_page(walk_list(turf=turf), page_number, ENTRY_PEOPLE_PER_PAGE)
    person_ids = [p.person_id for d in doors for p in d.people]
    header = PaperEntryHeaderForm(
        request.POST or None, initial={"walked_on": geo.today()}, prefix="sheet"
    )
    errors: dict[int, str] = {}
    recorded = None
    if request.method == "POST":
        rows, errors = paper_rows_parse(request.POST, person_ids)
        if header.is_valid():
            # Each readable row is recorded on its own; a row to correct does not hold back the
            # others, and sending the page again after correcting it records only what is new.
            outcome = paper_results_record(
                actor=request.user, turf=turf, occurred_at=header.occurred_at(), rows=rows
            )
            errors.update(outcome.errors)
            recorded = outcome.recorded + outcome.already
            if not errors:
                messages.success(
                    request,
                    _("%(recorded)s résultats enregistrés, %(already)s déjà enregistrés.")
                    % {"recorded": outcome.recorded, "already": outcome.already},
                )
                following = min(page_number + 1, pages)
                target = reverse("canvassing:paper_entry", args=[turf.pk])
                return redirect(f"{target}?page={following}")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "canvassing/turfs/paper_entry.html",
        {
            "turf": turf,
            "doors": doors,
            "page_number": min(max(page_number, 1), pages),
            "pages": range(1, pages + 1),
            "header": header,
            "results": result_choices(),
            "supports": support_choices(),
            "rows": entry_rows(doors, request.POST if request.method == "POST" else None),
            "errors": errors,
            "recorded": recorded,
        },
        status=status,
    )
