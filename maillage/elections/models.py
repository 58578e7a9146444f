"""Elections as data: an election, its rounds, results per area and per candidate, import reports.

An election is a row (type, date, number of rounds), never an app or a code path per year.
Per-area figures that the close-race queries filter and sort on (top two, gap, winner's
margin, final round) are computed once at import and stored, so a ranked list is one query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.core.models import TimeStampedModel


class Election(TimeStampedModel):
    class Type(models.TextChoices):
        LEGISLATIVE = "legislative", _("législatives")
        PRESIDENTIAL = "presidential", _("présidentielle")
        EUROPEAN = "european", _("européennes")
        REGIONAL = "regional", _("régionales")
        DEPARTMENTAL = "departmental", _("départementales")
        MUNICIPAL = "municipal", _("municipales")
        OTHER = "other", _("autre")

    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    type = models.CharField(
        _("type"), max_length=20, choices=Type.choices, default=Type.LEGISLATIVE
    )
    date = models.DateField(_("date du 1er tour"), null=True, blank=True)
    rounds = models.PositiveSmallIntegerField(_("nombre de tours"), default=2)

    class Meta:
        ordering = ["-date", "slug"]
        verbose_name = _("élection")
        verbose_name_plural = _("élections")

    def __str__(self) -> str:
        return self.name


class Round(models.Model):
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="round_set")
    number = models.PositiveSmallIntegerField(_("tour"))
    date = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        ordering = ["election", "number"]
        constraints = [
            models.UniqueConstraint(fields=["election", "number"], name="elections_round_unique")
        ]
        verbose_name = _("tour")

    def __str__(self) -> str:
        return f"{self.election} — tour {self.number}"


class Level(models.TextChoices):
    NATIONAL = "national", _("France entière")
    REGION = "region", _("région")
    DEPARTMENT = "department", _("département")
    CONSTITUENCY = "constituency", _("circonscription")
    COMMUNE = "commune", _("commune")
    POLLING_STATION = "polling_station", _("bureau de vote")


class AreaResult(models.Model):
    """The figures of one area in one round, with the stored summary of its candidates."""

    # `election` and `round_number` repeat `round`'s: the final-round flag is refreshed by an
    # UPDATE … EXISTS, and UPDATE cannot reach joined columns.
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="area_results")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="area_results")
    round_number = models.PositiveSmallIntegerField(_("tour"))
    level = models.CharField(_("niveau"), max_length=20, choices=Level.choices)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("nom"), max_length=200)
    department_code = models.CharField(_("département"), max_length=3, blank=True)
    # For communes and bureaux: the constituency they were placed in (blank when unknown).
    constituency_code = models.CharField(_("circonscription"), max_length=5, blank=True)
    # The territory row of a commune or bureau area (`code` is its code), linked at import:
    # results, rolls and turfs meet on the same places. NULL for other levels and sectors.
    commune = models.ForeignKey(
        "territory.Commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="area_results",
        verbose_name=_("commune"),
    )
    polling_station = models.ForeignKey(
        "territory.PollingStation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="area_results",
        verbose_name=_("bureau de vote"),
    )

    registered = models.PositiveIntegerField(_("inscrits"))
    abstentions = models.PositiveIntegerField(_("abstentions"))
    voters = models.PositiveIntegerField(_("votants"))
    blank_ballots = models.PositiveIntegerField(_("blancs"), default=0)
    null_ballots = models.PositiveIntegerField(_("nuls"), default=0)
    cast = models.PositiveIntegerField(_("exprimés"))

    candidate_count = models.PositiveSmallIntegerField(default=0)
    top_votes = models.PositiveIntegerField(default=0)
    runner_up_votes = models.PositiveIntegerField(default=0)
    # Votes of the first minus votes of the second; a lone candidate's gap is all their votes.
    gap_votes = models.PositiveIntegerField(default=0)
    # Set when the race was decided in this area and round (a candidate marked elected, or the
    # top of a second round): winner's votes minus the best other candidate's.
    margin_votes = models.IntegerField(null=True, blank=True)
    is_final = models.BooleanField(_("tour final"), default=True)
    # Σ candidate votes − exprimés; non-zero means the file disagrees with itself (kept, flagged).
    votes_mismatch = models.IntegerField(default=0)

    class Meta:
        ordering = ["election", "level", "code", "round_number"]
        verbose_name = _("résultat d'une zone")
        verbose_name_plural = _("résultats par zone")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "level", "code"], name="elections_area_unique"
            ),
        ]
        indexes = [
            # Serves the close-race list: one election, one level, final (or one) round.
            models.Index(fields=["election", "level", "is_final"], name="elections_area_final_idx"),
            # Serves the area page (both rounds of one code) and the final-flag refresh.
            models.Index(fields=["election", "level", "code"], name="elections_area_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}) T{self.round_number}"

    @property
    def decided(self) -> bool:
        return self.margin_votes is not None


class CandidateResult(models.Model):
    area = models.ForeignKey(AreaResult, on_delete=models.CASCADE, related_name="candidates")
    # 1 = most votes; ties keep the elected one first, then ballot order.
    rank = models.PositiveSmallIntegerField(_("rang"))
    panel_number = models.PositiveSmallIntegerField(_("n° de panneau"), null=True, blank=True)
    last_name = models.CharField(_("nom"), max_length=150)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    civility = models.CharField(_("civilité"), max_length=10, blank=True)
    nuance_code = models.CharField(_("nuance"), max_length=20, blank=True)
    nuance_label = models.CharField(_("libellé de la nuance"), max_length=150, blank=True)
    votes = models.PositiveIntegerField(_("voix"))
    elected = models.BooleanField(_("élu·e"), default=False)
    qualified = models.BooleanField(_("qualifié·e pour le 2nd tour"), default=False)

    class Meta:
        ordering = ["area", "rank"]
        verbose_name = _("résultat d'un·e candidat·e")
        verbose_name_plural = _("résultats par candidat·e")
        indexes = [models.Index(fields=["area", "rank"], name="elections_cand_rank_idx")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        first = self.first_name if self.first_name not in {"", "."} else ""
        return f"{first} {self.last_name}".strip()


class ResultImport(models.Model):
    """What one imported file stored, and every warning it raised (shown after the upload)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(_("fichier"), max_length=255)
    format = models.CharField(_("format"), max_length=30)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    rounds = models.JSONField(_("tours"), default=list)
    level = models.CharField(_("niveau"), max_length=20, choices=Level.choices)
    area_count = models.PositiveIntegerField(_("zones"), default=0)
    candidate_count = models.PositiveIntegerField(_("candidatures"), default=0)
    warnings = models.JSONField(_("avertissements"), default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import de résultats")
        verbose_name_plural = _("imports de résultats")

    def __str__(self) -> str:
        return f"{self.filename} → {self.election}"


class ResultUpload(TimeStampedModel):
    """One uploaded results file, from the form to the end of its import task.

    A stored row like people's `ImportJob`: the task takes only its id; a failure stays readable
    here (and in the progress record) with the file kept, and the file is deleted only once the
    import has succeeded. Housekeeping (stale jobs, retention of old files) finds what it needs in
    `stored_path`, `progress`, `status`, `error`, `created_by` and `created_at`.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("déposé")
        RUNNING = "running", _("en cours")
        SUCCEEDED = "succeeded", _("terminé")
        FAILED = "failed", _("échoué")

    original_name = models.CharField(_("fichier"), max_length=255)
    stored_path = models.CharField(max_length=500)
    election_slug = models.SlugField(_("élection"), max_length=60)
    round_number = models.PositiveSmallIntegerField(_("tour"), null=True, blank=True)
    format = models.CharField(_("format"), max_length=10, default="auto")
    election_type = models.CharField(_("type d'élection"), max_length=30, blank=True)
    election_date = models.DateField(_("date du 1er tour"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    error = models.TextField(_("erreur"), blank=True)
    progress = models.ForeignKey(
        "core.TaskProgress", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result_import = models.ForeignKey(
        ResultImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dépôt de résultats")
        verbose_name_plural = _("dépôts de résultats")

    def __str__(self) -> str:
        return self.original_name
