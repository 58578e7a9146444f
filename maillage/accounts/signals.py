"""Login, logout and failed logins go to the audit log (django.contrib.auth signals)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record


def _ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def _on_login(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    audit_log_record(
        actor=user, action=AuditLogEntry.Action.LOGIN, target=user, ip_address=_ip(request)
    )


@receiver(user_logged_out)
def _on_logout(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit_log_record(
            actor=user, action=AuditLogEntry.Action.LOGOUT, target=user, ip_address=_ip(request)
        )


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Record the address tried, never the password.
    audit_log_record(
        actor=None,
        action=AuditLogEntry.Action.LOGIN_FAILED,
        target_type="accounts.user",
        target_label=str(credentials.get("username", ""))[
            : max_length(AuditLogEntry, "target_label")
        ],
        ip_address=_ip(request),
    )


@receiver(user_logged_in)
def _remember_two_factor(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    from maillage.accounts.middleware import SESSION_KEY
    from maillage.accounts.selectors import user_has_confirmed_totp

    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = user_has_confirmed_totp(user=user)
