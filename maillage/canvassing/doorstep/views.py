"""The doorstep app's pages (thin: parse, call one selector or service, render), its sync
endpoint, its service worker and the team leader's live progress."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.canvassing.doorstep import selectors
from maillage.canvassing.doorstep.sync import batch_pairs, door_results_sync, sync_batch
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.roles import Role

# Sync batches per volunteer per minute: a phone back online sends a few; far more is a loop.
SYNC_RATE = "60/m"
SHELL_FILES = (
    "core/maillage.css",
    "core/shell.js",
    "core/favicon.svg",
    "vendor/htmx/htmx.min.js",
    "canvassing/doorstep/doorstep.css",
    "canvassing/doorstep/outbox.js",
    "canvassing/doorstep/app.js",
)


@role_required(Role.VOLUNTEER)
def doorstep_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "canvassing/doorstep/home.html",
        {"turfs": selectors.doorstep_turfs(user=request.user)},
    )


@role_required(Role.VOLUNTEER)
def doorstep_turf(request: AuthenticatedHttpRequest, turf_id: int) -> HttpResponse:
    turf = selectors.doorstep_turf(user=request.user, turf_id=turf_id)
    return render(
        request,
        "canvassing/doorstep/turf.html",
        {
            "turf": turf,
            "door_results": selectors.door_result_choices(),
            "support_levels": selectors.support_level_choices(),
            "consent_wording": selectors.consent_wording(),
        },
    )


@never_cache
@require_GET
@role_required(Role.VOLUNTEER)
def doorstep_turf_data(request: AuthenticatedHttpRequest, turf_id: int) -> JsonResponse:
    turf = selectors.doorstep_turf(user=request.user, turf_id=turf_id)
    return JsonResponse(
        selectors.doorstep_download(
            user=request.user, turf=turf, ip_address=request.META.get("REMOTE_ADDR")
        )
    )


@require_POST
@role_required(Role.VOLUNTEER)
def doorstep_sync(request: AuthenticatedHttpRequest) -> JsonResponse:
    if is_ratelimited(
        request,
        group="maillage.doorstep_sync",
        key="user",
        rate=SYNC_RATE,
        method=["POST"],
        increment=True,
    ):
        return JsonResponse({"error": _("Trop d'envois. Réessayez dans une minute.")}, status=429)
    try:
        items = sync_batch(json.loads(request.body))
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": _("Envoi illisible.")}, status=400)
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=400)
    turf_ids, person_ids = batch_pairs(items)
    allowed = selectors.doorstep_turf_ids(user=request.user, among=turf_ids)
    answers = door_results_sync(
        actor=request.user,
        items=items,
        turf_ids=allowed,
        members=selectors.doorstep_members(turf_ids=allowed, person_ids=person_ids),
    )
    return JsonResponse({"results": [answer.as_dict() for answer in answers]})


@require_GET
def doorstep_worker(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The service worker, served at the app's scope (/canvassing/doorstep/) so it may control
    the doorstep pages; its code is the static sw-core.js, given the shell's file list."""
    shell = [static(name) for name in SHELL_FILES]
    version = hashlib.sha256(json.dumps([shell, settings.DEBUG]).encode()).hexdigest()[:12]
    body = (
        f"self.MAILLAGE_VERSION = {json.dumps(version)};\n"
        f"self.MAILLAGE_SHELL = {json.dumps(shell)};\n"
        f"importScripts({json.dumps(static('canvassing/doorstep/sw-core.js'))});\n"
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("canvassing:doorstep_home")
    return response


@role_required(Role.TEAM_LEADER)
def doorstep_progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"progress": selectors.turf_progress(user=request.user)}
    template = (
        "canvassing/doorstep/_progress.html"
        if request.headers.get("HX-Request")
        else "canvassing/doorstep/progress.html"
    )
    return render(request, template, context)


@role_required(Role.STAFF)
def doorstep_persuasion(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "canvassing/doorstep/persuasion.html",
        {"rows": selectors.turf_persuasion(user=request.user)},
    )
