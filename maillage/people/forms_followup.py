"""Forms of the follow-up pages: the campaign's rules and cap, and answering a staff question."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.people.models import SupportLevel


def _levels(label: Any) -> forms.Field:
    return forms.TypedMultipleChoiceField(
        label=label,
        choices=SupportLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ContactPolicyForm(forms.Form):
    revisit_levels = _levels(_("Revoir en porte-à-porte et appeler"))
    inform_levels = _levels(_("Informer par e-mail seulement (sans revisite)"))
    no_contact_levels = _levels(_("Ne plus démarcher à la porte ni au téléphone"))
    not_home_retries = forms.IntegerField(
        label=_("Passages au plus quand la personne est absente"), min_value=1, max_value=20
    )
    cap_attempts = forms.IntegerField(
        label=_("Plafond : tentatives de contact au plus"),
        min_value=0,
        max_value=100,
        help_text=_("Tous canaux confondus (porte, téléphone, SMS, e-mail) ; 0 = sans plafond."),
    )
    cap_days = forms.IntegerField(label=_("sur une période de (jours)"), min_value=1, max_value=365)
    conflict_minutes = forms.IntegerField(
        label=_("Fenêtre de conflit (minutes)"),
        min_value=0,
        max_value=24 * 60,
        help_text=_(
            "Deux résultats sur la même personne par deux personnes différentes dans cette "
            "fenêtre sont signalés pour vérification."
        ),
    )


class QuestionAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Réponse"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    send_email = forms.BooleanField(
        label=_("Envoyer la réponse à la personne par e-mail"), required=False
    )


class QuestionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("État"),
        choices=[("open", _("Ouvertes")), ("answered", _("Répondues")), ("all", _("Toutes"))],
        required=False,
    )
