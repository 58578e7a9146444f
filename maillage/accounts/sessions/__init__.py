"""Session engines: Django's database and cached-database sessions, with the per-request read
of the session row compiled once per process (core.compiled.compiled_lookup, #17).

Every authenticated request reads its session row. Through the ORM that read cost about half
a millisecond of CPU (building and compiling `Session.objects.get(…)`), more than the whole
rest of the authentication; the compiled read is the same SQL, the same row and the same
expiry rule. `SESSION_ENGINE` names `maillage.accounts.sessions.db`, or `.cached_db` when a
Redis cache is configured.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from maillage.core.compiled import compiled_lookup

# No session key has this form (Django's keys are 32 lowercase letters and digits).
_PLACEHOLDER_KEY = "\x00no-session\x00"


def _session_by_key(session_key: str) -> QuerySet[Session]:
    return Session.objects.filter(session_key=session_key)


class CompiledSessionRead:
    """Mixed into a database-backed SessionStore: `_get_session_from_db` without the ORM's
    per-call build. An expired row counts as none, as in Django's `expire_date__gt=now`."""

    session_key: str | None
    _session_key: str | None

    def _get_session_from_db(self) -> Any:
        session = compiled_lookup(
            key=("session-by-key",),
            build=_session_by_key,
            placeholder=_PLACEHOLDER_KEY,
            value=self.session_key,
        )
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
