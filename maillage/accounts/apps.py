from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "maillage.accounts"
    label = "accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        # signals: the login/logout audit; sessions: empties the user read with a request's
        # session at each request's start and end (request_started, request_finished).
        from maillage.accounts import sessions, signals  # noqa: F401
