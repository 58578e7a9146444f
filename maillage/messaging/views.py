"""Messaging pages (staff): campaigns, the composer with its audience count, preview, test send,
send/schedule/cancel, the report; and the public one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.ratelimit import ratelimit
from maillage.core.roles import Role
from maillage.messaging import selectors, services
from maillage.messaging.forms import EmailCampaignForm, ScheduleForm
from maillage.messaging.models import Campaign
from maillage.messaging.rendering import compile_message, sample_person
from maillage.messaging.views_sms import quiet_status
from maillage.people.selectors.segments import segment_list


def _composer(
    request: AuthenticatedHttpRequest, data: object = None, **kwargs: object
) -> EmailCampaignForm:
    segments = [(s.pk, s.name) for s in segment_list(user=request.user)]
    return EmailCampaignForm(
        data,
        segments=segments,
        senders=selectors.sender_identities(),
        **kwargs,  # type: ignore[arg-type]
    )


@role_required(Role.STAFF)
def campaign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.campaign_list(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "messaging/campaign_list.html", {"page": page})


def _save_email(
    request: AuthenticatedHttpRequest, form: EmailCampaignForm, campaign: Campaign | None
) -> Campaign | None:
    data = form.cleaned_data
    fields = {
        "name": data["name"],
        "segment_id": data["segment"],
        "sender": data["sender"],
        "subject": data["subject"],
        "body": data["body"],
        "track_opens": data["track_opens"],
        "track_clicks": data["track_clicks"],
    }
    try:
        if campaign is None:
            return services.campaign_create(actor=request.user, channel="email", **fields)  # type: ignore[arg-type]
        return services.campaign_update(actor=request.user, campaign=campaign, fields=fields)
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return None


@role_required(Role.STAFF)
def email_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _composer(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = _save_email(request, form, None)
        if campaign is not None:
            messages.success(request, _("Campagne enregistrée."))
            return redirect("messaging:campaign_detail", campaign_id=campaign.pk)
    return render(request, "messaging/email_form.html", {"form": form, "campaign": None})


@role_required(Role.STAFF)
def email_edit(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    initial = {
        "name": campaign.name,
        "segment": campaign.segment_id,
        "sender": campaign.sender,
        "subject": campaign.subject,
        "body": campaign.body,
        "track_opens": campaign.track_opens,
        "track_clicks": campaign.track_clicks,
    }
    form = _composer(request, request.POST or None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and _save_email(request, form, campaign) is not None
    ):
        messages.success(request, _("Campagne enregistrée."))
        return redirect("messaging:campaign_detail", campaign_id=campaign.pk)
    return render(request, "messaging/email_form.html", {"form": form, "campaign": campaign})


@role_required(Role.STAFF)
def campaign_detail(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    editable = campaign.status in services.EDITABLE
    audience = (
        selectors.campaign_audience(user=request.user, campaign=campaign)
        if editable and not campaign.reminder_of_id
        else None
    )
    is_sms = campaign.channel == Campaign.Channel.SMS
    context = {
        "is_sms": is_sms,
        "estimate": selectors.sms_campaign_estimate(
            campaign=campaign, recipients_count=audience.will_receive if audience else 0
        )
        if is_sms
        else None,
        "quiet": quiet_status() if is_sms else None,
        "rsvp": selectors.mobilisation_count(campaign=campaign)
        if campaign.is_mobilisation
        else None,
        "campaign": campaign,
        "editable": editable,
        "audience": audience,
        "recipients": selectors.campaign_preview_people(user=request.user, campaign=campaign)
        if editable
        else [],
        "schedule_form": ScheduleForm(),
        "progress": campaign.progress,
    }
    return render(request, "messaging/campaign_detail.html", context)


@role_required(Role.STAFF)
def campaign_preview(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    """The message as one recipient gets it (or a sample person), the HTML in a sandboxed frame."""
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    person = selectors.campaign_preview_person(
        user=request.user, campaign=campaign, person_id=request.GET.get("person")
    )
    try:
        subject, html, text = compile_message(subject=campaign.subject, body=campaign.body).render(
            {**sample_person(), **(person or {})}
        )
        error = ""
    except ApplicationError as exc:
        subject, html, text, error = "", "", "", exc.message
    return render(
        request,
        "messaging/_preview.html",
        {"subject": subject, "html": html, "text": text, "error": error, "person": person},
    )


@require_POST
@role_required(Role.STAFF)
def campaign_test(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponseBase:
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    person = selectors.campaign_preview_person(
        user=request.user, campaign=campaign, person_id=request.POST.get("person")
    )
    try:
        services.campaign_test_send(
            actor=request.user, campaign=campaign, person={**sample_person(), **(person or {})}
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Message de test envoyé à %(email)s.") % {"email": request.user.email}
        )
    return redirect("messaging:campaign_detail", campaign_id=campaign.pk)


@require_POST
@role_required(Role.STAFF)
def campaign_send(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponseBase:
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    try:
        services.campaign_start(actor=request.user, campaign=campaign)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Envoi lancé."))
    return redirect("messaging:campaign_detail", campaign_id=campaign.pk)


@require_POST
@role_required(Role.STAFF)
def campaign_schedule(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponseBase:
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Date invalide."))
    else:
        try:
            services.campaign_schedule(
                actor=request.user, campaign=campaign, at=form.cleaned_data["at"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Envoi programmé."))
    return redirect("messaging:campaign_detail", campaign_id=campaign.pk)


@require_POST
@role_required(Role.STAFF)
def campaign_cancel(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponseBase:
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    try:
        services.campaign_cancel(actor=request.user, campaign=campaign)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Campagne annulée."))
    return redirect("messaging:campaign_detail", campaign_id=campaign.pk)


@role_required(Role.STAFF)
def campaign_report(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.access_campaign(user=request.user, campaign_id=campaign_id)
    report = selectors.campaign_report(campaign=campaign)
    return render(
        request, "messaging/campaign_report.html", {"campaign": campaign, "report": report}
    )


@csrf_exempt  # RFC 8058: the mailbox provider POSTs with no session nor token; the GET is inert
@require_http_methods(["GET", "POST"])
@ratelimit(key="unsubscribe", limit=30, period=60)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (a link scanner prefetching it changes nothing); POST records the
    opt-out at once, without login: from the confirm page or the provider's one-click."""
    delivery = services.unsubscribe_delivery(token)
    if delivery is None:
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.unsubscribe_record(delivery=delivery)
        return render(request, "messaging/unsubscribe.html", {"done": True})
    return render(request, "messaging/unsubscribe.html", {"token": token})
