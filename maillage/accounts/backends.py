"""The password backend: Django's ModelBackend, with the per-request read of the user compiled
once per process (core.compiled.compiled_lookup, #17).

`get_user` runs on every authenticated request. Through the ORM, `User.objects.get(pk=…)` cost
about half a millisecond of CPU to build and compile, ten times the query itself; this is the
same SQL, the same row, and the same `is_active` rule (`user_can_authenticate`). In a request
whose session engine read the user with the session row (accounts.sessions), that row is used
instead of a second query: the same row, read a moment earlier in the same request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from maillage.accounts.sessions import NOT_PREFETCHED, prefetched_user
from maillage.core.compiled import PLACEHOLDER_USER_ID, compiled_lookup

# What `login()` and the tests name as the backend of a session opened by password.
PASSWORD_BACKEND = "maillage.accounts.backends.AccountBackend"  # noqa: S105 (a path)


def _user_by_pk(pk: Any) -> QuerySet[Any]:
    return get_user_model()._default_manager.filter(pk=pk)


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any | None:
        try:
            pk = get_user_model()._meta.pk.to_python(user_id)  # type: ignore[union-attr]
        except ValidationError:
            return None
        user = prefetched_user(pk)
        if user is NOT_PREFETCHED:
            user = compiled_lookup(
                key=("user-by-pk",), build=_user_by_pk, placeholder=PLACEHOLDER_USER_ID, value=pk
            )
        return user if user is not None and self.user_can_authenticate(user) else None
