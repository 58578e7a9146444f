from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "maillage.accounts"
    label = "accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        from maillage.accounts import signals  # noqa: F401 - connects login/logout audit
