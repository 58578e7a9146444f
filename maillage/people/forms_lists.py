"""Forms of the lists pages: a new list (from a segment or a search) and its assignment."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from maillage.accounts.models import Team, User
from maillage.people.models import Segment
from maillage.people.services.lists import NAME_MAX_LENGTH


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class PersonListCreateForm(forms.Form):
    name = forms.CharField(label=_("Nom de la liste"), max_length=NAME_MAX_LENGTH)
    segment = forms.ModelChoiceField(
        label=_("À partir d'un segment"),
        queryset=Segment.objects.none(),
        required=False,
        empty_label=_("— aucun —"),
    )
    query = forms.CharField(
        label=_("… ou d'une recherche (nom, e-mail ou téléphone)"),
        max_length=200,
        required=False,
        help_text=_("Les personnes que la recherche de la page Personnes trouve."),
    )

    def __init__(self, *args: Any, segments: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["segment"]).queryset = segments

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        segment, query = cleaned.get("segment"), (cleaned.get("query") or "").strip()
        cleaned["query"] = query
        if segment is None and not query and not self.has_error("segment"):
            raise forms.ValidationError(_("Choisissez un segment ou tapez une recherche."))
        if segment is not None and query:
            raise forms.ValidationError(_("Choisissez un segment ou une recherche, pas les deux."))
        return cleaned


class PersonListAssignForm(forms.Form):
    users = UserChoiceField(
        label=_("Bénévoles"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Ctrl ou ⌘ pour en choisir plusieurs."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Équipes"), queryset=Team.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, users: QuerySet[Any], teams: QuerySet[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["users"]).queryset = users
        cast(forms.ModelChoiceField, self.fields["teams"]).queryset = teams

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("users") and not cleaned.get("teams"):
            raise forms.ValidationError(_("Choisissez au moins une personne ou une équipe."))
        return cleaned


class PersonListUnassignForm(forms.Form):
    """One "Retirer" button: names a user or a team among the list's assignees."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)

    def __init__(
        self, *args: Any, users: QuerySet[Any], teams: QuerySet[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = users
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("user") and not cleaned.get("team"):
            raise forms.ValidationError(
                _("Cette liste n'est pas attribuée à cette personne ou équipe.")
            )
        return cleaned
