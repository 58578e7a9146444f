"""Call campaigns, their queue of people to call (claimed atomically), the calls made, and the
seats of the phone room (one SIP extension each, for the Asterisk dialer)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.core.models import TimeStampedModel

DEFAULT_WEEKDAY_HOURS = "10:00-13:00,14:00-20:00"


class CallCampaign(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("En préparation")
        RUNNING = "running", _("En cours")
        PAUSED = "paused", _("En pause")
        FINISHED = "finished", _("Terminée")

    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("consignes aux appelant·es"), blank=True)
    segment = models.ForeignKey(
        "people.Segment", verbose_name=_("segment"), on_delete=models.PROTECT, related_name="+"
    )
    script = models.ForeignKey(
        "surveys.Script",
        verbose_name=_("script"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    max_attempts = models.PositiveSmallIntegerField(_("tentatives au plus par personne"), default=3)
    claim_minutes = models.PositiveSmallIntegerField(
        _("minutes avant qu'un appel non conclu retourne dans la file"), default=15
    )
    retry_hours = models.PositiveSmallIntegerField(
        _("heures avant de rappeler après une absence"), default=4
    )
    weekday_hours = models.CharField(
        _("heures d'appel en semaine"), max_length=60, default=DEFAULT_WEEKDAY_HOURS
    )
    saturday_hours = models.CharField(
        _("heures d'appel le samedi"), max_length=60, blank=True, default=""
    )
    callers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("appelant·es")
    )
    caller_teams = models.ManyToManyField(
        "accounts.Team", blank=True, related_name="+", verbose_name=_("équipes d'appel")
    )
    queue_built_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("campagne d'appels")
        verbose_name_plural = _("campagnes d'appels")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class QueueEntry(models.Model):
    """One person to call in one campaign. `state` and the claim columns are only ever changed
    by conditional UPDATEs (see services.queue), so two callers never hold the same person."""

    class State(models.TextChoices):
        WAITING = "waiting", _("En attente")
        CLAIMED = "claimed", _("En cours d'appel")
        DONE = "done", _("Terminé")

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(CallCampaign, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(_("numéro"), max_length=20)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before this time: a retry after no answer, or a scheduled call-back.
    available_at = models.DateTimeField()
    # A call-back is kept for the caller who scheduled it until `available_at` + grace.
    callback_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=20, blank=True)
    done_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="queue_entry_unique")
        ]
        indexes = [
            # The claim: the next waiting entry of a campaign by (available_at, id).
            models.Index(
                fields=["campaign", "state", "available_at", "id"], name="queue_claim_idx"
            ),
            # The assignment source (what a caller holds) and "my call-backs first".
            models.Index(fields=["claimed_by", "state"], name="queue_claimed_by_idx"),
            models.Index(fields=["callback_user", "state"], name="queue_callback_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.person_id} {self.state}"


class Call(models.Model):
    """One finished call (or one attempt through the dialer): the stats and the supervision
    page read these rows. `client_uuid` is the result form's, so a double tap records once."""

    class DialStatus(models.TextChoices):
        NONE = "", _("Composé à la main")
        PENDING = "pending", _("Appel en cours")
        ANSWERED = "answered", _("Décroché")
        BUSY = "busy", _("Occupé")
        NO_ANSWER = "no_answer", _("Pas de réponse")
        FAILED = "failed", _("Échec")

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(CallCampaign, on_delete=models.CASCADE, related_name="calls")
    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="calls")
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_uuid = models.UUIDField(unique=True, null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(_("résultat"), max_length=20, blank=True)
    # The people.Interaction this call became (a plain id: people's rows stay people's).
    interaction_id = models.PositiveBigIntegerField(null=True, blank=True)
    dial_status = models.CharField(max_length=10, choices=DialStatus.choices, blank=True)
    answered = models.BooleanField(null=True)
    duration = models.PositiveIntegerField(null=True, blank=True)
    hangup_cause = models.PositiveSmallIntegerField(null=True, blank=True)
    dial_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "finished_at"], name="call_campaign_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.entry_id} {self.result or self.dial_status}"


class Seat(models.Model):
    """A phone of the room: its Asterisk channel and the volunteer signed in at it."""

    name = models.CharField(_("nom"), max_length=60, unique=True)
    channel = models.CharField(
        _("canal Asterisk"), max_length=80, help_text=_("Par exemple PJSIP/101 ou SIP/101.")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("bénévole au poste"),
    )

    class Meta:
        verbose_name = _("poste d'appel")
        verbose_name_plural = _("postes d'appel")

    def __str__(self) -> str:
        return f"{self.name} ({self.channel})"
