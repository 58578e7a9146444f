"""Phone-bank pages: the campaigns, the caller screen (one page per call, "save and next" in
one tap) and the lead's supervision page (htmx-polled figures)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.accounts.models import User
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError, NotFound
from maillage.core.roles import Role, has_role
from maillage.people.selectors.people import access_person
from maillage.people.selectors.segments import segment_list
from maillage.people.services.persons import person_sheet_view
from maillage.phonebank import selectors
from maillage.phonebank.dialers import dialer_for
from maillage.phonebank.forms import RESULT_LABELS, CallCampaignForm, CallResultForm
from maillage.phonebank.models import CallCampaign
from maillage.phonebank.services import (
    CallResult,
    call_campaign_create,
    call_campaign_set_status,
    call_claim_next,
    call_dial_start,
    call_queue_build,
    call_release,
    call_result_record,
    callback_reassign,
)
from maillage.phonebank.sheet import caller_sheet, script_for_campaign, scripts_for_lead


@role_required(Role.VOLUNTEER)
def campaign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    campaigns = list(selectors.call_campaigns_for(user=request.user))
    return render(
        request,
        "phonebank/campaign_list.html",
        {"campaigns": campaigns, "is_lead": has_role(request.user, Role.STAFF)},
    )


@role_required(Role.STAFF)
def campaign_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CallCampaignForm(
        request.POST or None,
        segments=segment_list(user=request.user),
        scripts=scripts_for_lead(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = call_campaign_create(
                actor=request.user,
                name=data["name"],
                segment_id=data["segment"],
                script_id=data["script"],
                description=data["description"],
                max_attempts=data["max_attempts"],
                weekday_hours=data["weekday_hours"],
                saturday_hours=data["saturday_hours"],
                callers=list(data["callers"]),
                caller_teams=list(data["caller_teams"]),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Campagne d'appels créée. Lancez-la pour construire la file.")
            )
            return redirect("phonebank:campaign_supervise", campaign_id=campaign.pk)
    return render(request, "phonebank/campaign_form.html", {"form": form})


def _supervision_context(campaign: CallCampaign) -> dict[str, Any]:
    figures = selectors.campaign_supervision(campaign=campaign)
    return {
        "campaign": campaign,
        "figures": figures,
        "results": [(RESULT_LABELS.get(code, code), n) for code, n in figures.results],
    }


@role_required(Role.STAFF)
def campaign_supervise(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_call_campaign_lead(user=request.user, campaign_id=campaign_id)
    context = _supervision_context(campaign)
    context["callbacks"] = list(selectors.pending_callbacks(campaign=campaign)[:50])
    context["callers"] = list(selectors.campaign_callers(campaign=campaign))
    context["statuses"] = CallCampaign.Status
    return render(request, "phonebank/campaign_supervise.html", context)


@role_required(Role.STAFF)
def campaign_figures(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_call_campaign_lead(user=request.user, campaign_id=campaign_id)
    return render(request, "phonebank/_figures.html", _supervision_context(campaign))


@require_POST
@role_required(Role.STAFF)
def campaign_status(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_call_campaign_lead(user=request.user, campaign_id=campaign_id)
    try:
        call_campaign_set_status(
            actor=request.user, campaign=campaign, status=request.POST.get("status", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("phonebank:campaign_supervise", campaign_id=campaign.pk)


@require_POST
@role_required(Role.STAFF)
def campaign_refresh(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_call_campaign_lead(user=request.user, campaign_id=campaign_id)
    added = call_queue_build(actor=request.user, campaign=campaign)
    messages.success(
        request, _("File mise à jour : %(count)s personne(s) ajoutée(s).") % {"count": added}
    )
    return redirect("phonebank:campaign_supervise", campaign_id=campaign.pk)


@require_POST
@role_required(Role.STAFF)
def callback_assign(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_call_campaign_lead(user=request.user, campaign_id=campaign_id)
    entry = (
        selectors.pending_callbacks(campaign=campaign)
        .filter(pk=request.POST.get("entry") or 0)
        .first()
    )
    if entry is None:
        raise NotFound(_("Ce rappel n'existe plus."))
    to_user: User | None = None
    if request.POST.get("to"):
        to_user = (
            selectors.campaign_callers(campaign=campaign).filter(pk=request.POST["to"]).first()
        )
        if to_user is None:
            raise NotFound(_("Cette personne n'appelle pas sur la campagne."))
    callback_reassign(actor=request.user, entry=entry, to_user=to_user)
    messages.success(request, _("Rappel réattribué."))
    return redirect("phonebank:campaign_supervise", campaign_id=campaign.pk)


# The caller's pages --------------------------------------------------------------------------
@role_required(Role.VOLUNTEER)
def call_start(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponseBase:
    """GET: the campaign's brief and a "Start" button; POST: claim the next person."""
    campaign = selectors.access_call_campaign(user=request.user, campaign_id=campaign_id)
    if request.method == "POST":
        return _next_call(request, campaign)
    return render(request, "phonebank/call_start.html", {"campaign": campaign})


def _next_call(request: AuthenticatedHttpRequest, campaign: CallCampaign) -> HttpResponseBase:
    try:
        entry = call_claim_next(caller=request.user, campaign=campaign)
    except ApplicationError as exc:
        messages.info(request, exc.message)
        return redirect("phonebank:call_start", campaign_id=campaign.pk)
    if entry is None:
        messages.info(request, _("Plus personne à appeler pour l'instant : merci !"))
        return redirect("phonebank:call_start", campaign_id=campaign.pk)
    return redirect("phonebank:call_page", campaign_id=campaign.pk, entry_id=entry.pk)


@role_required(Role.VOLUNTEER)
def call_page(
    request: AuthenticatedHttpRequest, campaign_id: int, entry_id: int
) -> HttpResponseBase:
    campaign = selectors.access_call_campaign(user=request.user, campaign_id=campaign_id)
    entry = selectors.held_entry_for(user=request.user, campaign=campaign, entry_id=entry_id)
    script = script_for_campaign(campaign)
    form = CallResultForm(request.POST or None, questions=script["questions"] if script else [])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call_result_record(
                caller=request.user,
                entry_id=entry.pk,
                outcome=CallResult(
                    result=data["result"],
                    client_uuid=data["client_uuid"],
                    support_level=form.support_from_script() or data["support_level"],
                    note=data["note"],
                    question=data["question"],
                    callback_at=data["callback_at"],
                    new_email=data["new_email"],
                    email_consent=data["email_consent"] if data["new_email"] else None,
                    new_phone=data["new_phone"],
                    phone_consent=data["phone_consent"] if data["new_phone"] else None,
                    consent_wording=str(form.fields["phone_consent"].label)
                    if data["new_phone"]
                    else (str(form.fields["email_consent"].label) if data["new_email"] else ""),
                    answers=form.answers(),
                ),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if request.POST.get("then") == "stop":
                messages.success(request, _("Appel enregistré. À bientôt !"))
                return redirect("phonebank:call_start", campaign_id=campaign.pk)
            return _next_call(request, campaign)
    person = access_person(user=request.user, person_id=entry.person_id)
    if request.method == "GET":
        person_sheet_view(
            actor=request.user, person=person, ip_address=request.META.get("REMOTE_ADDR")
        )
    context = caller_sheet(user=request.user, person=person)
    context.update(
        {
            "campaign": campaign,
            "entry": entry,
            "form": form,
            "script": script,
            # A script's support question already asks it: no second support field then.
            "asks_support": any(
                q["kind"] == "support" for q in (script or {}).get("questions", [])
            ),
            "dialer": dialer_for(request.user),
            "claimed_until": entry.claimed_until,
            "now": timezone.now(),
            "dial_status": selectors.current_call(entry=entry)
            if settings.MAILLAGE_DIALER == "asterisk"
            else None,
        }
    )
    return render(request, "phonebank/call_page.html", context, status=400 if form.errors else 200)


@require_POST
@role_required(Role.VOLUNTEER)
def call_stop(request: AuthenticatedHttpRequest, campaign_id: int, entry_id: int) -> HttpResponse:
    """Give the person back to the queue without a result (the caller stops)."""
    campaign = selectors.access_call_campaign(user=request.user, campaign_id=campaign_id)
    entry = selectors.held_entry_for(user=request.user, campaign=campaign, entry_id=entry_id)
    call_release(caller=request.user, entry=entry)
    messages.info(request, _("Personne rendue à la file."))
    return redirect("phonebank:call_start", campaign_id=campaign.pk)


@require_POST
@role_required(Role.VOLUNTEER)
def call_dial(request: AuthenticatedHttpRequest, campaign_id: int, entry_id: int) -> HttpResponse:
    """The Asterisk dialer: the worker rings the caller's seat, then the voter."""
    campaign = selectors.access_call_campaign(user=request.user, campaign_id=campaign_id)
    entry = selectors.held_entry_for(user=request.user, campaign=campaign, entry_id=entry_id)
    if not dialer_for(request.user).places_calls:
        raise NotFound(_("Aucun poste d'appel ne vous est attribué."))
    call_dial_start(caller=request.user, entry=entry)
    messages.info(request, _("Votre poste va sonner : décrochez, l'appel part ensuite."))
    return redirect("phonebank:call_page", campaign_id=campaign.pk, entry_id=entry.pk)
