"""Forms for sign-up, login, invitations and two-factor codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from maillage.accounts.models import Team, User, Zone
from maillage.accounts.selectors import grantable_roles
from maillage.core.roles import Role


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect."),
        "inactive": _("Ce compte n'est pas encore activé : suivez le lien reçu par e-mail."),
    }


class PasswordFieldsMixin(forms.Form):
    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Au moins 10 caractères, pas uniquement des chiffres."),
    )
    password2 = forms.CharField(
        label=_("Mot de passe (encore)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(_("Les deux mots de passe ne sont pas identiques."))
        if second:
            password_validation.validate_password(second)
        return second or ""


class SignupForm(PasswordFieldsMixin):
    full_name = forms.CharField(label=_("Prénom et nom"), max_length=200)
    email = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    field_order = ["full_name", "email", "password1", "password2"]


class InvitationAcceptForm(PasswordFieldsMixin):
    full_name = forms.CharField(label=_("Prénom et nom"), max_length=200)
    field_order = ["full_name", "password1", "password2"]


ROLE_ERROR = _("Ce rôle n'existe pas ou vous ne pouvez pas le donner.")


class GrantedRoleMixin(forms.Form):
    """A role field that offers only the roles the acting user may give (`grantable_roles`), so a
    tampered value is a form error, not a refusal deeper down."""

    role = forms.TypedChoiceField(
        label=_("Rôle"),
        coerce=int,
        choices=Role.choices,
        error_messages={"invalid_choice": ROLE_ERROR},
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(role.value, role.label) for role in grantable_roles(actor=actor)]


class InvitationForm(GrantedRoleMixin):
    email = forms.EmailField(label=_("Adresse e-mail"))
    team = forms.ModelChoiceField(label=_("Équipe"), queryset=Team.objects.all(), required=False)
    zone = forms.ModelChoiceField(
        label=_("Territoire"), queryset=Zone.objects.select_related("parent"), required=False
    )
    field_order = ["email", "role", "team", "zone"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["role"].initial = Role.VOLUNTEER


class RoleForm(GrantedRoleMixin):
    pass


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code à 6 chiffres"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class TwoFactorSetupForm(TokenForm):
    """The new device's first code; replacing a device also asks for a code from the current
    one (or a recovery code), which the service checks."""

    def __init__(self, *args: Any, replacing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if replacing:
            self.fields["token"].label = _("Code à 6 chiffres du nouvel appareil")
            self.fields["current_token"] = forms.CharField(
                label=_("Code de l'appareil actuel, ou un code de secours"),
                max_length=32,
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
                ),
            )


class SecondFactorForm(forms.Form):
    """A code from the phone or a recovery code: the verify page and every 2FA change."""

    token = forms.CharField(
        label=_("Code à 6 chiffres, ou un code de secours"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
