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
