"""Forms of the script editor: they parse and validate; the services write and check branching."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.surveys.models import Question, Script

END = "end"


class ScriptForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=150)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    is_active = forms.BooleanField(label=_("Actif"), required=False, initial=True)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Type"), choices=Question.Kind.choices)
    required = forms.BooleanField(label=_("Obligatoire"), required=False)


class QuestionEditForm(forms.Form):
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    required = forms.BooleanField(label=_("Obligatoire"), required=False)


def branch_choices(script: Script, after: Question) -> list[tuple[str, str]]:
    """Where an answer to `after` may lead: the next question, a later one, or the end."""
    later = [q for q in script.questions.all() if q.position > after.position]
    return [
        ("", str(_("Question suivante"))),
        *[(str(q.pk), f"{q.position}. {q.text[:60]}") for q in later],
        (END, str(_("Fin du script"))),
    ]


class ChoiceForm(forms.Form):
    label = forms.CharField(label=_("Réponse"), max_length=200)
    leads_to = forms.ChoiceField(label=_("Mène à"), required=False)

    def __init__(self, *args: object, script: Script, question: Question, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["leads_to"].choices = branch_choices(script, question)  # type: ignore[attr-defined]

    def branch(self) -> tuple[int | None, bool]:
        """(next_question_id, ends_script) from the cleaned `leads_to`."""
        value = self.cleaned_data.get("leads_to") or ""
        if value == END:
            return None, True
        return (int(value) if value else None), False
