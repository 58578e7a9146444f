"""Core pages: public home, role-specific dashboard, audit log, task progress, error pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core import selectors
from maillage.core.dashboard import all_dashboard_tiles
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.forms import AuditLogFilterForm
from maillage.core.models import TaskProgress
from maillage.core.roles import Role
from maillage.core.services import (
    task_progress_create,
    task_progress_enqueue,
    task_progress_reap,
    task_progress_rerun,
)
from maillage.core.tasks import database_census


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "core/dashboard.html", {"tiles": all_dashboard_tiles(request.user)})


@role_required(Role.STAFF)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_log_list(
        user=request.user,
        actor_email=filters.get("actor") or "",
        target_type=filters.get("target_type") or "",
        target_id=filters.get("target_id") or "",
        action=filters.get("action") or "",
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@role_required(Role.STAFF)
def census(request: HttpRequest) -> HttpResponse:
    recent = TaskProgress.objects.filter(kind="census").order_by("-created_at")[:5]
    return render(request, "core/census.html", {"recent": recent})


@require_POST
@role_required(Role.STAFF)
def census_start(request: HttpRequest) -> HttpResponse:
    progress = task_progress_create(
        kind="census", label="Recensement de la base", owner=request.user
    )
    task_progress_enqueue(progress=progress, task=database_census, progress_id=str(progress.pk))
    return redirect("core:task_progress_page", progress_id=progress.pk)


@login_required
def task_progress_page(request: HttpRequest, progress_id: str) -> HttpResponse:
    task_progress_reap()  # work whose process died shows as failed, with a "run again" button
    progress = selectors.access_task_progress(user=request.user, progress_id=progress_id)
    return render(request, "core/task_progress_page.html", {"progress": progress})


@require_POST
@login_required
def task_progress_rerun_view(request: HttpRequest, progress_id: str) -> HttpResponse:
    progress = selectors.access_task_progress(user=request.user, progress_id=progress_id)
    try:
        task_progress_rerun(actor=request.user, progress=progress)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("core:task_progress_page", progress_id=progress.pk)


@login_required
def task_progress(request: HttpRequest, progress_id: str) -> HttpResponse:
    """Polled by htmx every second (HTML fragment) or by scripts (JSON with Accept: application/json)."""
    task_progress_reap()
    progress = selectors.access_task_progress(user=request.user, progress_id=progress_id)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {
                "status": progress.status,
                "done": progress.done,
                "total": progress.total,
                "percent": progress.percent,
                "message": progress.message,
                "result": progress.result,
            }
        )
    return render(request, "core/_progress.html", {"progress": progress})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page says: send them the icon."""
    return redirect(static("core/favicon.svg"), permanent=True)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refuses before any view (too many fields, a malformed upload): the
    page shell and one sentence, never Django's bare "Bad Request"."""
    message = _("Le formulaire envoyé est invalide. Rechargez la page et recommencez.")
    return render(request, "errors/error.html", {"status": 400, "message": message}, status=400)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/error.html", {"status": 404, "message": ""}, status=404)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/error.html", {"status": 403, "message": ""}, status=403)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/error.html", {"status": 500, "message": ""}, status=500)
