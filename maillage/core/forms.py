"""Forms of core's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.core.models import AuditLogEntry


class AuditLogFilterForm(forms.Form):
    actor = forms.CharField(label=_("Auteur (e-mail)"), required=False)
    target_type = forms.CharField(label=_("Type d'objet"), required=False)
    target_id = forms.CharField(label=_("Identifiant de l'objet"), required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Toutes"))] + list(AuditLogEntry.Action.choices),
    )
    since = forms.DateField(
        label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("La date de début est après la date de fin."))
        return data
