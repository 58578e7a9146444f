"""Official areas with their official codes: departments, constituencies, communes, polling stations.

Codes are the canonical strings of `territory.codes` (never integers): they are the join keys
with election results and with the `people` app's address fields.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")
        verbose_name_plural = _("départements")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Constituency(models.Model):
    """A circonscription législative: "0703" is the Ardèche's 3rd."""

    code = models.CharField(_("code"), max_length=5, unique=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="constituencies",
        verbose_name=_("département"),
    )
    number = models.PositiveSmallIntegerField(_("numéro"))
    name = models.CharField(_("nom"), max_length=150)

    class Meta:
        ordering = ["code"]
        verbose_name = _("circonscription")
        verbose_name_plural = _("circonscriptions")

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune, or an arrondissement of Paris, Lyon or Marseille (then `parent` is the city)."""

    code = models.CharField(_("code INSEE"), max_length=5, unique=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="communes", verbose_name=_("département")
    )
    name = models.CharField(_("nom"), max_length=150)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="arrondissements"
    )
    # Set only when the whole commune lies in one constituency, which lets a per-bureau file
    # without a constituency column be placed; split communes are resolved bureau by bureau.
    constituency = models.ForeignKey(
        Constituency, null=True, blank=True, on_delete=models.SET_NULL, related_name="communes"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PollingStation(models.Model):
    """A bureau de vote: "29011_0001" is Bohars's first."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    commune = models.ForeignKey(
        Commune,
        on_delete=models.CASCADE,
        related_name="polling_stations",
        verbose_name=_("commune"),
    )
    number = models.CharField(_("numéro du bureau"), max_length=8)
    # The labels an electoral-roll extract gives the bureau (kept once here, not on each voter).
    name = models.CharField(_("nom"), max_length=150, blank=True)
    canton_label = models.CharField(_("canton"), max_length=150, blank=True)
    constituency_label = models.CharField(
        _("libellé de la circonscription"), max_length=150, blank=True
    )
    constituency = models.ForeignKey(
        Constituency,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="polling_stations",
        verbose_name=_("circonscription"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("bureau de vote")
        verbose_name_plural = _("bureaux de vote")

    def __str__(self) -> str:
        return self.name or self.code
