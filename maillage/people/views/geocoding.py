"""Staff page of the geocoding of addresses: where it stands, and a button to run it."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.roles import Role
from maillage.core.services import task_progress_enqueue
from maillage.people.selectors.geocoding import (
    geocoding_counts,
    geocoding_in_progress,
    geocoding_latest,
)
from maillage.people.services.geocoding import geocoding_create
from maillage.people.tasks import geocoding_task


def _shown_url(url: str) -> str:
    """The service's address without the credentials or query a URL might carry."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc, query="", fragment="").geturl()


@role_required(Role.STAFF)
def geocoding_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "people/geocoding.html",
        {
            "counts": geocoding_counts(user=request.user),
            "last_run": geocoding_latest(user=request.user),
            "geocoder": _shown_url(settings.GEOCODER_URL),
        },
    )


@require_POST
@role_required(Role.STAFF)
def geocoding_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    retry = request.POST.get("retry_not_found") == "on"
    try:
        progress = geocoding_create(actor=request.user, retry_not_found=retry)
    except ApplicationError as exc:
        messages.warning(request, exc.message)
        running = geocoding_in_progress()
        if running is None:
            return redirect("people:geocoding")
        return redirect("core:task_progress_page", progress_id=running.pk)
    task_progress_enqueue(
        progress=progress,
        task=geocoding_task,
        progress_id=str(progress.pk),
        retry_not_found=retry,
    )
    return redirect("core:task_progress_page", progress_id=progress.pk)
