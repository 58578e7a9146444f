"""Turfs (a set of doors to knock, frozen when cut), their people in walk order, and who walks
them when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from maillage.core.models import TimeStampedModel


class Turf(TimeStampedModel):
    """A piece of ground to canvass. Its people are copied into `TurfMember` when it is cut
    (a snapshot: a later import or segment change does not move a volunteer's doors); the
    definition that cut it is kept in `definition` so it can be read back and cut again."""

    class Kind(models.TextChoices):
        STATION = "station", _("bureaux de vote")
        STREETS = "streets", _("rues")
        POLYGON = "polygon", _("zone dessinée")
        SEGMENT = "segment", _("segment")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        ARCHIVED = "archived", _("archivée")

    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("découpage"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    polling_station_codes = models.JSONField(_("bureaux de vote"), default=list, blank=True)
    commune_code = models.CharField(_("code commune"), max_length=10, blank=True)
    street_names = models.JSONField(_("rues"), default=list, blank=True)
    geometry = models.TextField(_("zone (GeoJSON)"), blank=True)
    definition = models.JSONField(_("définition"), default=dict, blank=True)
    member_count = models.PositiveIntegerField(_("personnes"), default=0)
    door_count = models.PositiveIntegerField(_("portes"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("secteur")
        verbose_name_plural = _("secteurs")

    def __str__(self) -> str:
        return self.name


class TurfMember(models.Model):
    """One person of a turf, with their place in the walk: `position` orders the walk list,
    `door` numbers the households (people of one household share it), `side` is the street
    side (0 odd, 1 even, 2 no number) for the walk list's headings."""

    id = models.BigAutoField(primary_key=True)
    turf = models.ForeignKey(Turf, on_delete=models.CASCADE, related_name="members")
    # Indexed alone too: erasing or merging a person deletes their memberships by person.
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    door = models.PositiveIntegerField()
    side = models.PositiveSmallIntegerField(default=2)

    class Meta:
        constraints = [
            # Also the (turf, person) index the assignment source walks from a turf to people.
            models.UniqueConstraint(fields=["turf", "person"], name="turf_member_unique"),
        ]
        indexes = [
            # The walk list: one turf's people in walk order (`ORDER BY position`).
            models.Index(fields=["turf", "position"], name="turf_member_walk_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.turf_id}#{self.position}"


class TurfAssignment(models.Model):
    """A turf handed to one volunteer or one team, from `starts_on` to `ends_on` included
    (open-ended when empty). While it runs, the turf's people are in the assignee's scope."""

    turf = models.ForeignKey(Turf, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="turf_assignments",
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="turf_assignments",
    )
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="turf_assignment_user_xor_team",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="turf_assignment_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.turf} → {self.user or self.team}"
