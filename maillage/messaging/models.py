"""Campaigns (an email or SMS blast to a segment) and their deliveries: one row per (campaign,
person), frozen when the send starts, whose state is the send's whole memory (crash-resume)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from maillage.core.models import TimeStampedModel


class Campaign(TimeStampedModel):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        SCHEDULED = "scheduled", _("programmée")
        SENDING = "sending", _("envoi en cours")
        SENT = "sent", _("envoyée")
        CANCELLED = "cancelled", _("annulée")

    name = models.CharField(_("nom"), max_length=200)
    channel = models.CharField(_("canal"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    segment = models.ForeignKey(
        "people.Segment",
        verbose_name=_("segment"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sender = models.CharField(_("expéditeur"), max_length=254, blank=True)
    subject = models.CharField(_("objet"), max_length=250, blank=True)
    body = models.TextField(_("message"), help_text=_("Markdown ; champs : {{ first_name }}…"))
    track_opens = models.BooleanField(_("suivre les ouvertures"), default=False)
    track_clicks = models.BooleanField(_("suivre les clics"), default=False)
    scheduled_at = models.DateTimeField(_("envoi programmé à"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The acting user whose scope froze the audience (people_visible_to), kept for the sender.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    progress = models.ForeignKey(
        "core.TaskProgress", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The sending process's lease: one worker at a time; a lease whose heartbeat is older than
    # MAILLAGE_MESSAGING_LEASE_SECONDS belongs to a dead worker and may be taken over.
    worker = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    # A mobilisation ("500 activists at Place X at 20:30"): an SMS asking yes or no.
    is_mobilisation = models.BooleanField(_("mobilisation"), default=False)
    event_place = models.CharField(_("lieu"), max_length=200, blank=True)
    event_at = models.DateTimeField(_("rendez-vous à"), null=True, blank=True)
    # The mobilisation this one reminds (sent to those who said yes).
    reminder_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campagne")

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("en file")
        SENDING = "sending", _("en cours")
        SENT = "sent", _("envoyé")
        FAILED = "failed", _("échec")
        BOUNCED = "bounced", _("rejeté (bounce)")
        COMPLAINED = "complained", _("signalé comme spam")
        SUPPRESSED = "suppressed", _("opposé (non envoyé)")
        CAPPED = "capped", _("plafond de contacts atteint (non envoyé)")

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    # No database constraint: an erased person's deliveries go with the person's id only.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    address = models.CharField(_("adresse"), max_length=254)
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(_("erreur"), max_length=500, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    rsvp = models.CharField(
        _("réponse au rendez-vous"),
        max_length=3,
        blank=True,
        choices=[("yes", _("oui")), ("no", _("non"))],
    )
    rsvp_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("envoi")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="delivery_unique_person")
        ]
        indexes = [
            # The sender's claim: WHERE campaign_id = ? AND status = 'queued' ORDER BY id LIMIT n,
            # and the report's counts by status.
            models.Index(fields=["campaign", "status", "id"], name="delivery_claim_idx"),
            # An inbound reply finds the latest SMS sent to its number.
            models.Index(fields=["address", "-sent_at"], name="delivery_address_idx"),
            # Webhooks find a delivery by the provider's message id.
            models.Index(
                fields=["provider_id"],
                name="delivery_provider_idx",
                condition=~Q(provider_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.person_id} {self.status}"


class InboundMessage(models.Model):
    """An SMS received: an opt-out, an answer to a mobilisation, or anything else, which then
    waits in the staff inbox attached to the person whose number sent it."""

    class Kind(models.TextChoices):
        OPT_OUT = "opt_out", _("désinscription")
        RSVP = "rsvp", _("réponse à une mobilisation")
        OTHER = "other", _("message")

    sender = models.CharField(_("numéro"), max_length=20)
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound"
    )
    text = models.TextField(_("texte"))
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    provider = models.CharField(max_length=20, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(_("reçu le"))
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("SMS reçu")
        indexes = [
            # The staff inbox: unhandled "other" messages, newest first.
            models.Index(fields=["kind", "handled_at", "-received_at"], name="inbound_inbox_idx")
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"
