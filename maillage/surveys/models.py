"""Scripts read at the door and on the phone: ordered questions, answer choices that may branch
forward (to a later question, or to the end), and the answers given during an interaction.

One standard question kind is the support level: its five choices carry the `SupportLevel`
value, which canvassing and phone banking also pass to the contact-attempt ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.core.models import TimeStampedModel


class Script(TimeStampedModel):
    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("script")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        CHOICE = "choice", _("Choix")
        SUPPORT = "support", _("Niveau de soutien")
        TEXT = "text", _("Réponse libre")

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("position"))
    text = models.TextField(_("question"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.CHOICE)
    required = models.BooleanField(_("obligatoire"), default=False)

    class Meta:
        ordering = ["script", "position", "id"]
        verbose_name = _("question")

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(_("position"))
    label = models.CharField(_("réponse"), max_length=200)
    # Branching: a later question of the same script; null = the next question by position.
    next_question = models.ForeignKey(
        Question,
        verbose_name=_("question suivante"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ends_script = models.BooleanField(_("termine le script"), default=False)
    # The support question's choices carry their SupportLevel value (1 for … 5 against).
    support_level = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("choix")

    def __str__(self) -> str:
        return self.label


class Answer(models.Model):
    """One question answered during one interaction (people's contact-attempt ledger)."""

    interaction = models.ForeignKey(
        "people.Interaction", on_delete=models.CASCADE, related_name="survey_answers"
    )
    # PROTECT: a question or choice that was answered stays (services refuse to delete it).
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choice = models.ForeignKey(
        Choice, null=True, blank=True, on_delete=models.PROTECT, related_name="answers"
    )
    text = models.TextField(_("réponse"), blank=True)

    class Meta:
        ordering = ["interaction", "question__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "question"], name="answer_once_per_question"
            )
        ]
        indexes = [models.Index(fields=["question", "choice"], name="answer_question_idx")]

    def __str__(self) -> str:
        return f"{self.interaction_id}:{self.question_id}"
