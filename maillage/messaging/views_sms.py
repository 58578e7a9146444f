"""SMS pages (staff): the composer with its count, length and cost, mobilisations with their
live yes/no count and reminder, the inbox of replies; the provider callbacks and the public
RSVP link."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError, NotFound
from maillage.core.ratelimit import ratelimit
from maillage.core.roles import Role
from maillage.messaging import selectors, services, sms
from maillage.messaging.forms import MobilisationForm, ReminderForm, SmsCampaignForm
from maillage.messaging.providers import PROVIDERS, sms_provider
from maillage.messaging.quiet_hours import is_quiet, next_allowed
from maillage.people.selectors.segments import segment_list


@role_required(Role.STAFF)
def sms_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    segments = [(s.pk, s.name) for s in segment_list(user=request.user)]
    form = SmsCampaignForm(request.POST or None, segments=segments)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                channel="sms",
                segment_id=form.cleaned_data["segment"],
                body=form.cleaned_data["body"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Campagne enregistrée."))
            return redirect("messaging:campaign_detail", campaign_id=campaign.pk)
    return render(request, "messaging/sms_form.html", {"form": form})


@role_required(Role.STAFF)
def mobilisation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MobilisationForm(
        request.POST or None,
        initial={
            "body": _(
                "{{ first_name }}, on compte sur vous ! Venez-vous ? Répondez OUI ou NON, ou : {{ rsvp_url }}"
            )
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = sms.mobilisation_create(
                actor=request.user,
                name=data["name"],
                place=data["place"],
                event_at=data["event_at"],
                body=data["body"],
                communes=data["communes"],
                polling_stations=data["polling_stations"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("messaging:campaign_detail", campaign_id=campaign.pk)
    return render(request, "messaging/mobilisation_form.html", {"form": form})


@role_required(Role.STAFF)
def mobilisation_count(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    """The live count, polled by the page with htmx."""
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    return render(
        request,
        "messaging/_rsvp_count.html",
        {"campaign": campaign, "count": selectors.mobilisation_count(campaign=campaign)},
    )


@require_POST
@role_required(Role.STAFF)
def mobilisation_reminder(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponseBase:
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    form = ReminderForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("messaging:campaign_detail", campaign_id=campaign.pk)
    try:
        reminder = sms.mobilisation_reminder_create(
            actor=request.user, campaign=campaign, body=form.cleaned_data["body"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("messaging:campaign_detail", campaign_id=campaign.pk)
    return redirect("messaging:campaign_detail", campaign_id=reminder.pk)


@role_required(Role.STAFF)
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "messaging/inbox.html", {"page": page})


@require_POST
@role_required(Role.STAFF)
def inbox_handled(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponseBase:
    message = selectors.access_inbound(user=request.user, message_id=message_id)
    sms.inbound_mark_handled(actor=request.user, message=message)
    return redirect("messaging:inbox")


def _provider_or_404(name: str):  # type: ignore[no-untyped-def]
    if name not in PROVIDERS:
        raise NotFound(_("Fournisseur inconnu."))
    return sms_provider(name)


@csrf_exempt  # the provider calls back without a session; `verify` authenticates it
@require_http_methods(["GET", "POST"])
def sms_receipt(request: HttpRequest, provider: str) -> HttpResponse:
    backend = _provider_or_404(provider)
    if not backend.verify(request):
        return HttpResponse(status=403)
    for receipt in backend.receipts(request):
        sms.sms_receipt_record(receipt=receipt)
    return HttpResponse("OK")


@csrf_exempt  # as above: an inbound SMS comes from the provider
@require_http_methods(["GET", "POST"])
def sms_inbound(request: HttpRequest, provider: str) -> HttpResponse:
    backend = _provider_or_404(provider)
    if not backend.verify(request):
        return HttpResponse(status=403)
    for inbound in backend.inbound(request):
        if inbound.sender and inbound.text:
            sms.sms_inbound_record(inbound=inbound, provider=provider)
    if provider == "twilio":  # Twilio expects TwiML: an empty answer sends no reply
        return HttpResponse("<Response></Response>", content_type="text/xml")
    return HttpResponse("OK")


@require_http_methods(["GET", "POST"])
@ratelimit(key="rsvp", limit=30, period=60)
def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    """The short link in a mobilisation SMS: GET shows the question, POST answers it."""
    delivery = sms.rsvp_delivery(token)
    if delivery is None or not delivery.campaign.is_mobilisation:
        return render(request, "messaging/rsvp.html", {"invalid": True}, status=404)
    if request.method == "POST":
        try:
            sms.rsvp_record(delivery=delivery, answer=request.POST.get("answer", ""))
        except ApplicationError as exc:
            return render(request, "messaging/rsvp.html", {"error": exc.message}, status=400)
        delivery.refresh_from_db()
    return render(
        request, "messaging/rsvp.html", {"delivery": delivery, "campaign": delivery.campaign}
    )


def quiet_status() -> dict[str, object]:
    now = timezone.now()
    return {"quiet_now": is_quiet(now), "next_allowed": next_allowed(now)}
