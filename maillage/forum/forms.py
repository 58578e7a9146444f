"""Forms of the forum's pages. The `website` field is the honeypot: hidden by CSS, only robots
fill it (the service refuses the post)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.forum.models import CharterClause, Level, Rating
from maillage.forum.services import ban_duration_label


class HoneypotMixin(forms.Form):
    website = forms.CharField(
        label=_("Laissez ce champ vide"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )


class ContributionForm(HoneypotMixin):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(
        label=_("Votre proposition"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown : **gras**, *italique*, listes, liens."),
    )
    field_order = ["title", "body", "website"]


class CommentForm(HoneypotMixin):
    body = forms.CharField(label=_("Votre commentaire"), widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    field_order = ["body", "parent", "website"]


class RatingForm(forms.Form):
    value = forms.TypedChoiceField(choices=[("1", "+"), ("-1", "−")], coerce=int)
    label = forms.ChoiceField(choices=Rating.Label.choices, required=False)


def _clause_choices(clauses: list[CharterClause]) -> list[tuple[Any, str]]:
    return [("", "—")] + [(c.pk, f"{c.number}. {c.title}") for c in clauses]


class ClauseForm(forms.Form):
    clause = forms.TypedChoiceField(label=_("Article de la charte"), coerce=int)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, clauses: list[CharterClause], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clause"].choices = _clause_choices(clauses)  # type: ignore[attr-defined]


class QueueActionForm(ClauseForm):
    action = forms.ChoiceField(
        label=_("Action"), choices=[("hide", _("Masquer")), ("restore", _("Rétablir"))]
    )
    field_order = ["action", "clause", "note"]
    # Ticked in the queue's table (checkboxes named like these fields), not drawn by the form.
    contributions = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.MultipleHiddenInput
    )
    comments = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(
        self, *args: Any, contribution_ids: list[int], comment_ids: list[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contributions"].choices = [(i, i) for i in contribution_ids]  # type: ignore[attr-defined]
        self.fields["comments"].choices = [(i, i) for i in comment_ids]  # type: ignore[attr-defined]


class LevelForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Niveau"),
        choices=[("", _("suivre les seuils"))] + [(str(v), lbl) for v, lbl in Level.choices],
        required=False,
    )
    reason = forms.CharField(label=_("Motif"), max_length=300)


FOREVER = "forever"


class BanForm(ClauseForm):
    """A ban: a duration among those the actor may give (moderators 1, 3 or 7 days; staff
    also 30 days, a year or without limit), the charter clause cited and a short note."""

    duration = forms.ChoiceField(
        label=_("Durée"),
        error_messages={
            "required": _("Choisissez une durée."),
            "invalid_choice": _("Vous ne pouvez pas bannir pour cette durée."),
        },
    )
    field_order = ["duration", "clause", "note"]

    def __init__(self, *args: Any, durations: Sequence[int | None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["duration"].choices = [  # type: ignore[attr-defined]
            (FOREVER if days is None else str(days), ban_duration_label(days)) for days in durations
        ]
        self.fields["clause"].error_messages["required"] = _(
            "Choisissez l'article de la charte que vous citez."
        )
        self.fields["note"].label = _("Note (montrée au membre et dans le journal public)")

    def clean_duration(self) -> int | None:
        value = self.cleaned_data["duration"]
        return None if value == FOREVER else int(value)


class BanLiftForm(ClauseForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clause"].error_messages["required"] = _(
            "Choisissez l'article de la charte que vous citez."
        )


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Pourquoi contestez-vous cette décision ?"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AppealDecisionForm(ClauseForm):
    overturn = forms.TypedChoiceField(
        label=_("Décision"),
        choices=[("0", _("Maintenir")), ("1", _("Annuler la décision"))],
        coerce=lambda v: v == "1",
    )


class ThemeForm(forms.Form):
    name = forms.CharField(label=_("Nom du thème"), max_length=120)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class CharterForm(forms.Form):
    introduction = forms.CharField(
        label=_("Introduction"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    clauses = forms.CharField(
        label=_("Articles"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Un article par ligne : « 1. Titre : texte »."),
    )


class ProgrammeForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    introduction = forms.CharField(
        label=_("Introduction"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    body = forms.CharField(
        label=_("Texte"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "Les paragraphes sont séparés par une ligne vide ; chacun aura son fil de commentaires."
        ),
    )


class SynthesisForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    period_start = forms.DateField(label=_("Du"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Au"), widget=forms.DateInput(attrs={"type": "date"}))
    body = forms.CharField(label=_("Texte"), widget=forms.Textarea(attrs={"rows": 10}))
    citations = forms.CharField(
        label=_("Contributions citées"),
        help_text=_("Leurs numéros, séparés par des virgules."),
        required=False,
    )

    def clean_citations(self) -> list[int]:
        raw = self.cleaned_data.get("citations") or ""
        try:
            return [int(part) for part in raw.replace(" ", "").split(",") if part]
        except ValueError:
            raise forms.ValidationError(_("Des numéros séparés par des virgules.")) from None


class AppointForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail du membre"))
    role = forms.ChoiceField(
        label=_("Rôle"),
        choices=[("moderator", _("modérateur·rice")), ("synthesiser", _("synthétiseur·se"))],
    )
