"""Forms of messaging: the email composer (its placeholders checked as it is saved)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.core.errors import ApplicationError
from maillage.messaging.rendering import FIELDS, template_check


class EmailCampaignForm(forms.Form):
    name = forms.CharField(label=_("Nom (interne)"), max_length=200, required=False)
    segment = forms.TypedChoiceField(label=_("Destinataires (segment)"), coerce=int)
    sender = forms.ChoiceField(label=_("Expéditeur"))
    subject = forms.CharField(label=_("Objet"), max_length=250)
    body = forms.CharField(
        label=_("Message (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Champs personnalisés : %(fields)s")
        % {"fields": ", ".join("{{ " + name + " }}" for name in FIELDS)},
    )
    track_opens = forms.BooleanField(label=_("Suivre les ouvertures"), required=False)
    track_clicks = forms.BooleanField(label=_("Suivre les clics"), required=False)

    def __init__(
        self, *args: Any, segments: list[tuple[int, str]], senders: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = segments  # type: ignore[attr-defined]
        self.fields["sender"].choices = [(s, s) for s in senders]  # type: ignore[attr-defined]

    def _placeholders(self, name: str) -> str:
        value: str = self.cleaned_data.get(name, "")
        try:
            template_check(value)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return value

    def clean_subject(self) -> str:
        return self._placeholders("subject")

    def clean_body(self) -> str:
        return self._placeholders("body")


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Envoyer le"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.replace(";", ",").split(",") if code.strip()]


class SmsCampaignForm(forms.Form):
    name = forms.CharField(label=_("Nom (interne)"), max_length=200)
    segment = forms.TypedChoiceField(label=_("Destinataires (segment)"), coerce=int)
    body = forms.CharField(
        label=_("Texte du SMS"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Champs : {{ first_name }}, {{ commune }}… La mention STOP est ajoutée."),
    )

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = segments  # type: ignore[attr-defined]

    def clean_body(self) -> str:
        value: str = self.cleaned_data.get("body", "")
        try:
            template_check(value)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return value


class MobilisationForm(forms.Form):
    name = forms.CharField(label=_("Objet de la mobilisation"), max_length=200)
    place = forms.CharField(label=_("Lieu"), max_length=200)
    event_at = forms.DateTimeField(
        label=_("Rendez-vous le"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    communes = forms.CharField(
        label=_("Communes (codes INSEE)"),
        required=False,
        help_text=_("Séparés par des virgules, ex. 13999"),
    )
    polling_stations = forms.CharField(
        label=_("Bureaux de vote"), required=False, help_text=_("ex. 13999_0001")
    )
    body = forms.CharField(
        label=_("Texte du SMS"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("{{ rsvp_url }} est le lien de réponse ; on peut aussi répondre OUI ou NON."),
    )

    def clean_body(self) -> str:
        value: str = self.cleaned_data.get("body", "")
        try:
            template_check(value)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["communes"] = _codes(data.get("communes", ""))
        data["polling_stations"] = _codes(data.get("polling_stations", ""))
        if not data["communes"] and not data["polling_stations"]:
            raise forms.ValidationError(_("Choisissez au moins une commune ou un bureau de vote."))
        return data


class ReminderForm(forms.Form):
    body = forms.CharField(label=_("Texte du rappel"), widget=forms.Textarea(attrs={"rows": 3}))

    def clean_body(self) -> str:
        value: str = self.cleaned_data.get("body", "")
        try:
            template_check(value)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return value
