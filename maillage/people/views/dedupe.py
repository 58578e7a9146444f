"""Staff review queue of likely duplicates and the side-by-side merge."""

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
from maillage.core.services import task_progress_enqueue
from maillage.people.forms import DuplicateDecisionForm
from maillage.people.selectors.dedupe import (
    access_duplicate,
    duplicates_search_in_progress,
    duplicates_search_latest,
)
from maillage.people.selectors.dedupe import duplicate_list as duplicates
from maillage.people.services.dedupe import (
    duplicate_dismiss,
    duplicate_merge,
    duplicates_search_create,
)
from maillage.people.services.gdpr import person_subject_access_data
from maillage.people.tasks import duplicates_search_task

COMPARED = (
    ("birth_name", _("Nom de naissance")),
    ("usage_name", _("Nom d'usage")),
    ("first_names", _("Prénoms")),
    ("birth_date_display", _("Naissance")),
    ("birth_place", _("Lieu de naissance")),
    ("address_street", _("Voie")),
    ("address_number", _("Numéro")),
    ("postcode", _("Code postal")),
    ("commune_name", _("Commune")),
    ("polling_station_code", _("Bureau")),
    ("sources", _("Sources")),
)


@role_required(Role.STAFF)
def duplicate_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(duplicates(user=request.user), 50).get_page(request.GET.get("page"))
    last_search = duplicates_search_latest(user=request.user)
    return render(
        request,
        "people/duplicate_list.html",
        {"page": page, "query": "", "last_search": last_search},
    )


@require_POST
@role_required(Role.STAFF)
def duplicate_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Search the whole table in the background (imports search only among their own people)."""
    try:
        progress = duplicates_search_create(actor=request.user)
    except ApplicationError as exc:
        messages.warning(request, exc.message)
        running = duplicates_search_in_progress()
        if running is None:
            return redirect("people:duplicate_list")
        return redirect("core:task_progress_page", progress_id=running.pk)
    task_progress_enqueue(
        progress=progress, task=duplicates_search_task, progress_id=str(progress.pk)
    )
    return redirect("core:task_progress_page", progress_id=progress.pk)


@role_required(Role.STAFF)
def duplicate_review(request: AuthenticatedHttpRequest, candidate_id: int) -> HttpResponse:
    candidate = access_duplicate(user=request.user, candidate_id=candidate_id)
    first, second = candidate.first, candidate.second
    form = DuplicateDecisionForm(
        request.POST or None,
        choices=[(first.pk, str(first)), (second.pk, str(second))],
        initial={"keep": first.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "dismiss":
                duplicate_dismiss(actor=request.user, candidate=candidate)
                messages.success(request, _("Paire marquée comme deux personnes distinctes."))
            else:
                kept = duplicate_merge(
                    actor=request.user,
                    candidate=candidate,
                    keep_id=form.cleaned_data["keep"] or first.pk,
                )
                messages.success(request, _("Fiches fusionnées."))
                return redirect("people:person_detail", person_id=kept.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("people:duplicate_list")
    rows = [(label, getattr(first, name), getattr(second, name)) for name, label in COMPARED]
    held = [person_subject_access_data(person=p) for p in (first, second)]
    counts = [
        {
            "interactions": len(h["interactions"]),
            "consents": len(h["consents"]),
            "emails": ", ".join(e["address"] for e in h["emails"]),
            "phones": ", ".join(p["number"] for p in h["phones"]),
            "tags": ", ".join(h["tags"]),
        }
        for h in held
    ]
    return render(
        request,
        "people/duplicate_review.html",
        {
            "candidate": candidate,
            "first": first,
            "second": second,
            "rows": rows,
            "counts": counts,
            "form": form,
        },
    )
