"""The participatory forum: themes, contributions and threaded comments, programme texts open
for comment paragraph by paragraph, the moderation charter, ratings, reputation, flags,
moderation actions (the public log), appeals, meta-moderation and syntheses.

Counters and rank scores are denormalised on the rated rows (`up`, `down`, `rank_best`…) and
kept by the services with `F()` updates, so a theme page is one indexed read and rating an item
touches that item's row only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from maillage.core.models import TimeStampedModel


class Level(models.IntegerChoices):
    """Trust levels, after Discourse's TL0–TL4 (see `maillage/forum/levels.py`)."""

    NEW = 0, _("nouveau membre")
    RATER = 1, _("évaluateur")
    FLAGGER = 2, _("signaleur")
    MODERATOR = 3, _("modérateur")
    FOUNDER = 4, _("fondateur de communauté")


class Status(models.TextChoices):
    VISIBLE = "visible", _("visible")
    HIDDEN = "hidden", _("masquée")
    WITHDRAWN = "withdrawn", _("retirée par son auteur")


class ForumProfile(models.Model):
    """A member's standing in the forum: counters the reputation is computed from, the level
    they give, moderation points and the display name shown instead of the account's name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="forum_profile",
        verbose_name=_("utilisateur"),
    )
    display_name = models.CharField(_("nom affiché"), max_length=60)
    level = models.PositiveSmallIntegerField(_("niveau"), choices=Level.choices, default=0)
    # Set by staff: the level no longer follows the thresholds until staff clear it.
    manual_level = models.PositiveSmallIntegerField(
        _("niveau fixé par l'équipe"), choices=Level.choices, null=True, blank=True
    )
    reputation = models.IntegerField(_("réputation"), default=0)
    ratings_given = models.PositiveIntegerField(default=0)
    ratings_agreed = models.PositiveIntegerField(default=0)
    ratings_disagreed = models.PositiveIntegerField(default=0)
    up_received = models.PositiveIntegerField(default=0)
    down_received = models.PositiveIntegerField(default=0)
    flags_upheld = models.PositiveIntegerField(default=0)
    flags_rejected = models.PositiveIntegerField(default=0)
    meta_fair = models.PositiveIntegerField(default=0)
    meta_unfair = models.PositiveIntegerField(default=0)
    # Meta-moderation judged this member's moderation unfair too often.
    moderation_revoked = models.BooleanField(_("modération retirée"), default=False)
    moderation_points = models.PositiveIntegerField(_("points de modération"), default=0)
    points_expire_at = models.DateTimeField(null=True, blank=True)
    show_name_in_log = models.BooleanField(
        _("afficher mon nom dans le journal public de modération"), default=False
    )
    banned_until = models.DateTimeField(_("banni jusqu'au"), null=True, blank=True)
    banned_forever = models.BooleanField(_("banni sans limite"), default=False)
    level_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("profil du forum")
        verbose_name_plural = _("profils du forum")

    def __str__(self) -> str:
        return self.display_name

    @property
    def accuracy(self) -> float | None:
        judged = self.ratings_agreed + self.ratings_disagreed
        return self.ratings_agreed / judged if judged else None

    @property
    def flag_factor(self) -> float:
        """0..2, 1 without history: Laplace-smoothed share of upheld flags, doubled."""
        return 2 * (self.flags_upheld + 1) / (self.flags_upheld + self.flags_rejected + 2)


class Theme(TimeStampedModel):
    name = models.CharField(_("nom"), max_length=120)
    slug = models.SlugField(_("identifiant"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    founded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fondée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("modérateurs")
    )
    synthesisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("synthétiseurs")
    )
    contribution_count = models.PositiveIntegerField(default=0)
    # Bumped (F() + 1, in the writing transaction) by every write that changes the theme's
    # page: the key of its cached fragments, exact across processes.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RatedItem(models.Model):
    """What contributions and comments share: an author, a sanitised body, a status, and the
    denormalised rating counters and rank scores."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    body = models.TextField(_("texte"))
    body_html = models.TextField(editable=False)
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.VISIBLE
    )
    up = models.PositiveIntegerField(default=0)
    down = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rank_best = models.FloatField(default=0)
    rank_hot = models.FloatField(default=0)
    rank_controversial = models.FloatField(default=0)
    flag_score = models.FloatField(default=0)
    # Flags waiting for a moderator (cleared by a review).
    pending_flags = models.PositiveIntegerField(default=0)
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("créé le"), db_index=True)
    edited_at = models.DateTimeField(_("modifié le"), null=True, blank=True)

    class Meta:
        abstract = True


class Contribution(RatedItem):
    theme = models.ForeignKey(
        Theme, verbose_name=_("thème"), on_delete=models.CASCADE, related_name="contributions"
    )
    title = models.CharField(_("titre"), max_length=200)
    comment_count = models.PositiveIntegerField(default=0)
    # Bumped by every write that changes the contribution's page (see Theme.version).
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        indexes = [
            # The theme page in each order (visible rows only, the page's filter).
            models.Index(
                fields=["theme", "-rank_best", "-id"],
                name="forum_contrib_best",
                condition=Q(status="visible"),
            ),
            models.Index(
                fields=["theme", "-rank_hot"],
                name="forum_contrib_hot",
                condition=Q(status="visible"),
            ),
            models.Index(
                fields=["theme", "-created_at"],
                name="forum_contrib_new",
                condition=Q(status="visible"),
            ),
            models.Index(
                fields=["theme", "-rank_controversial"],
                name="forum_contrib_contro",
                condition=Q(status="visible"),
            ),
            models.Index(
                fields=["theme", "rating_count", "-created_at"],
                name="forum_contrib_unrated",
                condition=Q(status="visible"),
            ),
            # Per-author daily limits and duplicate detection.
            models.Index(fields=["author", "-created_at"], name="forum_contrib_author"),
            # The moderation queue: flagged or hidden items.
            models.Index(
                fields=["theme", "-flag_score"],
                name="forum_contrib_queue",
                condition=Q(pending_flags__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ContributionRevision(models.Model):
    """The text of a contribution before each edit (the history)."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="revisions"
    )
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("version d'une contribution")
        verbose_name_plural = _("versions des contributions")

    def __str__(self) -> str:
        return f"{self.contribution_id} @ {self.created_at}"


class ProgrammeText(TimeStampedModel):
    """A campaign text (a programme chapter) published by staff, open for comment paragraph by
    paragraph."""

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=120, unique=True)
    introduction = models.TextField(_("introduction"), blank=True)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("texte de campagne")
        verbose_name_plural = _("textes de campagne")
        ordering = ["-published_at", "title"]

    def __str__(self) -> str:
        return self.title


class Paragraph(models.Model):
    text = models.ForeignKey(ProgrammeText, on_delete=models.CASCADE, related_name="paragraphs")
    position = models.PositiveIntegerField()
    body = models.TextField(_("texte"))
    body_html = models.TextField(editable=False)
    comment_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["text", "position"]
        verbose_name = _("paragraphe")
        verbose_name_plural = _("paragraphes")
        constraints = [
            models.UniqueConstraint(fields=["text", "position"], name="forum_paragraph_position")
        ]

    def __str__(self) -> str:
        return f"{self.text} §{self.position}"


class Comment(RatedItem):
    """A comment on a contribution or on a paragraph of a programme text, threaded by
    `parent`."""

    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    paragraph = models.ForeignKey(
        Paragraph, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        indexes = [
            models.Index(fields=["contribution", "created_at"], name="forum_comment_contrib"),
            models.Index(fields=["paragraph", "created_at"], name="forum_comment_paragraph"),
            models.Index(fields=["author", "-created_at"], name="forum_comment_author"),
            models.Index(
                fields=["-flag_score"], name="forum_comment_queue", condition=Q(pending_flags__gt=0)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contribution__isnull=False, paragraph__isnull=True)
                | Q(contribution__isnull=True, paragraph__isnull=False),
                name="forum_comment_one_subject",
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]


class Charter(models.Model):
    """The moderation charter, versioned: a new version is a new row with its own clauses, so an
    action keeps citing the clause it cited."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    introduction = models.TextField(_("introduction"), blank=True)
    published_at = models.DateTimeField(_("publiée le"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("charte de modération")
        verbose_name_plural = _("chartes de modération")

    def __str__(self) -> str:
        return _("Charte v%(version)s") % {"version": self.version}


class CharterClause(models.Model):
    charter = models.ForeignKey(Charter, on_delete=models.CASCADE, related_name="clauses")
    number = models.PositiveSmallIntegerField(_("numéro"))
    title = models.CharField(_("titre"), max_length=120)
    text = models.TextField(_("texte"))

    class Meta:
        ordering = ["charter", "number"]
        verbose_name = _("article de la charte")
        verbose_name_plural = _("articles de la charte")
        constraints = [
            models.UniqueConstraint(fields=["charter", "number"], name="forum_clause_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Rating(models.Model):
    class Label(models.TextChoices):
        NONE = "", _("sans étiquette")
        CONSTRUCTIVE = "constructive", _("constructif")
        INFORMATIVE = "informative", _("instructif")
        ORIGINAL = "original", _("original")
        OFF_TOPIC = "off_topic", _("hors sujet")
        REPETITIVE = "repetitive", _("redondant")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.CASCADE, related_name="ratings"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="ratings"
    )
    value = models.SmallIntegerField(_("note"))  # +1 or -1
    label = models.CharField(_("étiquette"), max_length=16, choices=Label.choices, blank=True)
    # Whether this rating agreed with the consensus the item reached (None: no consensus yet).
    agreed = models.BooleanField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "contribution"],
                name="forum_rating_once_contribution",
                condition=Q(contribution__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "comment"],
                name="forum_rating_once_comment",
                condition=Q(comment__isnull=False),
            ),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="forum_rating_value"),
            models.CheckConstraint(
                condition=Q(contribution__isnull=False, comment__isnull=True)
                | Q(contribution__isnull=True, comment__isnull=False),
                name="forum_rating_one_item",
            ),
        ]
        indexes = [
            models.Index(fields=["contribution"], name="forum_rating_contribution"),
            models.Index(fields=["comment"], name="forum_rating_comment"),
            models.Index(fields=["user", "-created_at"], name="forum_rating_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.value:+d}"


class Flag(models.Model):
    """A report that an item breaks a charter clause, weighted by its author's level and past
    flag accuracy at the time it was made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    clause = models.ForeignKey(CharterClause, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("précision"), max_length=300, blank=True)
    weight = models.FloatField()
    # None while pending; True when a moderator upheld it (hid), False when rejected.
    upheld = models.BooleanField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "contribution"],
                name="forum_flag_once_contribution",
                condition=Q(contribution__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "comment"],
                name="forum_flag_once_comment",
                condition=Q(comment__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.clause_id}"


class ModerationAction(models.Model):
    """One line of the public moderation log."""

    class Kind(models.TextChoices):
        HIDE = "hide", _("masquage")
        AUTO_HIDE = "auto_hide", _("masquage automatique (signalements)")
        SPAM_HOLD = "spam_hold", _("retenu par le filtre anti-spam")
        RESTORE = "restore", _("rétablissement")
        EDIT = "edit", _("modification")
        BAN = "ban", _("bannissement")
        UNBAN = "unban", _("levée de bannissement")

    kind = models.CharField(_("action"), max_length=12, choices=Kind.choices)
    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clause = models.ForeignKey(
        CharterClause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The acting member's level then (-1: the system; 9: campaign staff).
    actor_level = models.SmallIntegerField()
    actor_name = models.CharField(max_length=60, blank=True)  # only when they chose to show it
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("action de modération")
        verbose_name_plural = _("actions de modération")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class SpamCheck(models.Model):
    """Akismet's verdict on a new contribution or comment, with what it was given about the
    sender (IP address, browser, referrer), kept so that a moderator's later decision can be
    reported back to Akismet (`submit-spam`, `submit-ham`). The sender's details are blanked
    after `spam_check_retention_days` (the housekeeping)."""

    class Verdict(models.TextChoices):
        HAM = "ham", _("accepté")
        SPAM = "spam", _("retenu comme spam")
        UNKNOWN = "unknown", _("sans réponse (publié)")

    class Report(models.TextChoices):
        NONE = "", _("rien")
        SPAM = "spam", _("signalé comme spam")
        HAM = "ham", _("signalé comme légitime")

    contribution = models.OneToOneField(
        Contribution, null=True, blank=True, on_delete=models.CASCADE, related_name="spam_check"
    )
    comment = models.OneToOneField(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="spam_check"
    )
    verdict = models.CharField(_("verdict"), max_length=8, choices=Verdict.choices)
    user_ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=400, blank=True)
    referrer = models.CharField(_("page d'origine"), max_length=400, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # What the moderators' decisions told Akismet last.
    reported = models.CharField(
        _("signalé à Akismet"), max_length=4, choices=Report.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("vérification anti-spam")
        verbose_name_plural = _("vérifications anti-spam")
        constraints = [
            models.CheckConstraint(
                condition=Q(contribution__isnull=False, comment__isnull=True)
                | Q(contribution__isnull=True, comment__isnull=False),
                name="forum_spamcheck_one_item",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contribution_id or self.comment_id}: {self.verdict}"


class Appeal(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("en attente")
        UPHELD = "upheld", _("décision maintenue")
        OVERTURNED = "overturned", _("décision annulée")

    # One appeal per moderation action.
    action = models.OneToOneField(ModerationAction, on_delete=models.CASCADE, related_name="appeal")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("motif de l'appel"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    decision_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("appel")
        verbose_name_plural = _("appels")

    def __str__(self) -> str:
        return f"{self.action_id}: {self.state}"


class MetaModeration(models.Model):
    """A trusted member's verdict on one moderation action."""

    action = models.ForeignKey(ModerationAction, on_delete=models.CASCADE, related_name="verdicts")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fair = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("méta-modération")
        verbose_name_plural = _("méta-modérations")
        constraints = [models.UniqueConstraint(fields=["action", "judge"], name="forum_meta_once")]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.fair}"


class PointsDistribution(models.Model):
    """One day's moderation points: how many contributions came in, how many points that made
    and how many members received them. One row per day keeps the distribution idempotent."""

    day = models.DateField(unique=True)
    inflow = models.PositiveIntegerField()
    points = models.PositiveIntegerField()
    recipients = models.PositiveIntegerField()
    expired = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.day)


class Synthesis(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="syntheses")
    title = models.CharField(_("titre"), max_length=200)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    body = models.TextField(_("texte"))
    body_html = models.TextField(editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    citations = models.ManyToManyField(Contribution, related_name="syntheses", blank=True)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("synthèse")
        verbose_name_plural = _("synthèses")

    def __str__(self) -> str:
        return self.title
