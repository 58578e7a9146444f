"""Forms of the phone bank: a campaign (for the lead) and a call's result (for the caller)."""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.accounts.models import Team, User
from maillage.core.roles import Role
from maillage.people.selectors.segments import SupportLevel
from maillage.phonebank.models import DEFAULT_WEEKDAY_HOURS

# The caller's result buttons, in the order a call goes (the people ledger's phone codes).
RESULT_CHOICES = [
    ("no_answer", _("Pas de réponse")),
    ("busy", _("Occupé")),
    ("left_message", _("Messagerie")),
    ("wrong_number", _("Mauvais numéro")),
    ("talked", _("Conversation")),
    ("call_back", _("Rappeler à…")),
    ("do_not_contact", _("Ne plus appeler")),
]
RESULT_LABELS = dict(RESULT_CHOICES)


class CallCampaignForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=150)
    segment = forms.TypedChoiceField(label=_("Segment des personnes à appeler"), coerce=int)
    script = forms.TypedChoiceField(
        label=_("Script d'appel"), coerce=int, required=False, empty_value=None
    )
    description = forms.CharField(
        label=_("Consignes aux appelant·es"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    max_attempts = forms.IntegerField(
        label=_("Tentatives au plus par personne"), initial=3, min_value=1, max_value=20
    )
    weekday_hours = forms.CharField(
        label=_("Heures d'appel en semaine"),
        initial=DEFAULT_WEEKDAY_HOURS,
        help_text=_(
            "Plages séparées par des virgules, heure de la campagne : 10:00-13:00,14:00-20:00"
        ),
    )
    saturday_hours = forms.CharField(
        label=_("Heures d'appel le samedi"),
        required=False,
        help_text=_("Vide : pas d'appel le samedi. Jamais le dimanche."),
    )
    callers = forms.ModelMultipleChoiceField(
        label=_("Appelant·es"), queryset=User.objects.none(), required=False
    )
    caller_teams = forms.ModelMultipleChoiceField(
        label=_("Équipes d'appel"), queryset=Team.objects.none(), required=False
    )

    def __init__(self, *args: Any, segments: Any, scripts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["segment"]).choices = [
            (s.pk, s.name) for s in segments
        ]
        cast(forms.TypedChoiceField, self.fields["script"]).choices = [("", _("(sans script)"))] + [
            (s.pk, s.name) for s in scripts
        ]
        cast(forms.ModelMultipleChoiceField, self.fields["callers"]).queryset = User.objects.filter(
            is_active=True, role__gte=Role.VOLUNTEER
        ).order_by("full_name", "email")
        cast(
            forms.ModelMultipleChoiceField, self.fields["caller_teams"]
        ).queryset = Team.objects.order_by("name")


class CallResultForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    result = forms.ChoiceField(
        label=_("Résultat"), choices=RESULT_CHOICES, widget=forms.RadioSelect
    )
    support_level = forms.TypedChoiceField(
        label=_("Soutien"),
        choices=[("", "—"), *SupportLevel.choices],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    callback_at = forms.DateTimeField(
        label=_("Rappeler le"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    question = forms.CharField(
        label=_("Question pour l'équipe"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    new_email = forms.EmailField(label=_("Nouvel e-mail"), required=False)
    email_consent = forms.BooleanField(
        label=_("Accepte de recevoir des e-mails de la campagne"), required=False
    )
    new_phone = forms.CharField(label=_("Nouveau numéro"), max_length=30, required=False)
    phone_consent = forms.BooleanField(
        label=_("Accepte d'être appelé·e ou de recevoir des SMS"), required=False
    )

    def __init__(
        self, *args: Any, questions: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.questions = questions or []
        for question in self.questions:
            name = f"q_{question['id']}"
            if question.get("choices"):
                self.fields[name] = forms.ChoiceField(
                    label=question["text"],
                    choices=[("", "—")] + [(str(c["id"]), c["label"]) for c in question["choices"]],
                    required=False,
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=question["text"], required=False, widget=forms.Textarea(attrs={"rows": 2})
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("result") == "call_back":
            when = data.get("callback_at")
            if when is None:
                self.add_error("callback_at", _("Indiquez quand rappeler."))
            elif when <= timezone.now():
                self.add_error("callback_at", _("Le rappel doit être dans le futur."))
        if data.get("new_email") and data.get("email_consent") is not True:
            data["email_consent"] = None
        return data

    def question_fields(self) -> list[tuple[dict[str, Any], Any, str]]:
        """(question, bound field, branches as JSON for the page's script) in script order."""
        rows = []
        for question in self.questions:
            branches = {
                str(c["id"]): {"next": c.get("next"), "ends": bool(c.get("end"))}
                for c in question.get("choices") or []
            }
            rows.append((question, self[f"q_{question['id']}"], json.dumps(branches)))
        return rows

    def support_from_script(self) -> int | None:
        """The support level a "support" question's answer carries (passed to the ledger too)."""
        for question in self.questions:
            if question.get("kind") != "support":
                continue
            value = self.cleaned_data.get(f"q_{question['id']}")
            for choice in question.get("choices") or []:
                if str(choice["id"]) == str(value) and choice.get("support_level"):
                    return int(choice["support_level"])
        return None

    def answers(self) -> dict[int, str | int]:
        out: dict[int, str | int] = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q_{question['id']}")
            if value in (None, ""):
                continue
            out[int(question["id"])] = int(value) if question.get("choices") else str(value)
        return out
