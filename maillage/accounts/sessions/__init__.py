"""Session engines: Django's database and cached-database sessions on our session table, read
with their user in one query compiled once per process (core.compiled.compiled_lookup, #17).

Every authenticated request read its session row, then its user row: on PostgreSQL two round
trips, about a fifth of the wall time of a volunteer's people list. The session table
(`accounts.Session`) keeps the id of the user signed in, set from the session's data at each
save, and the engine reads the row LEFT JOIN that user. The user found goes to
`AccountBackend.get_user` through `prefetched_user`, for that id only and within the same
request; Django's `django.contrib.auth.get_user` still checks the backend, the session's
password hash and `is_active` on it as before. The read is Django's own SQL (select_related)
compiled once: through the ORM, building it cost more CPU than the database took to answer.
An expired row counts as none, as in Django's `expire_date__gt=now`. `SESSION_ENGINE` names
`maillage.accounts.sessions.db`, or `.cached_db` when a Redis cache is configured (whose reads
from Redis carry no user: the backend reads it).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.signals import request_finished, request_started
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone

from maillage.accounts.models import Session
from maillage.core.compiled import compiled_lookup
from maillage.core.memo import remember

# No session key has this form (Django's keys are 32 lowercase letters and digits).
_PLACEHOLDER_KEY = "\x00no-session\x00"


class _Prefetched:
    """The user read with this request's session: handed out once, for its own id."""

    __slots__ = ("user", "user_id")

    def __init__(self) -> None:
        self.user_id: Any = None
        self.user: Any = None


# Set at each request's start, emptied at its end: a sync worker thread keeps its context from
# one request to the next, and a user read for one request must never serve another. Outside
# a request (tests, management commands) it is None and the backend reads the database.
_request: ContextVar[_Prefetched | None] = ContextVar("maillage_session_user", default=None)
# What `prefetched_user` answers when it has nothing for the id (None means "no such user").
NOT_PREFETCHED = object()


@receiver(request_started, dispatch_uid="maillage.accounts.sessions.start")
def _request_started(**kwargs: Any) -> None:
    _request.set(_Prefetched())


@receiver(request_finished, dispatch_uid="maillage.accounts.sessions.finish")
def _request_finished(**kwargs: Any) -> None:
    _request.set(None)


def prefetched_user(user_id: Any) -> Any:
    """The user row read with this request's session if its id is `user_id` (None if that
    session named a user who no longer exists), else NOT_PREFETCHED. Taken once: a second
    call in the request, or a call for another id, reads the database."""
    holder = _request.get()
    if holder is None or holder.user_id is None:
        return NOT_PREFETCHED
    found_id, user = holder.user_id, holder.user
    holder.user_id = holder.user = None
    return user if found_id == user_id else NOT_PREFETCHED


def _user_id(data: dict[str, Any]) -> Any:
    try:
        return get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))  # type: ignore[union-attr]
    except ValidationError:
        return None


def _session_with_user(session_key: str) -> QuerySet[Session]:
    return Session.objects.filter(session_key=session_key).select_related("user")


class _SignedBytes:
    """A `signing` serializer that hands back the signed payload's bytes as they are: the
    session's own serializer reads them after (`_verified_payload`)."""

    def dumps(self, obj: bytes) -> bytes:
        return obj

    def loads(self, data: bytes) -> bytes:
        return data


# Session data whose signature was checked, by (data, salt, secret keys): its payload, before
# the serializer. The same string signed with the same key always holds the same payload, so
# the HMAC (and the base64 and zlib work) is done once a session and process, not once a
# request. Only the bytes are kept: each request parses its own dict from them, so a view that
# changes a value in its session never changes what another request reads.
_verified: dict[tuple[Any, ...], bytes] = {}
_VERIFIED_KEPT = 4096


def _verified_payload(session_data: str, salt: str) -> bytes:
    """The payload of `session_data`, its signature checked by Django's `signing.loads` (which
    raises BadSignature as in `SessionBase.decode`)."""
    key = (session_data, salt, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))
    payload = _verified.get(key)
    if payload is None:
        payload = remember(
            _verified,
            key,
            signing.loads(session_data, salt=salt, serializer=_SignedBytes),
            limit=_VERIFIED_KEPT,
        )
    return payload


class CompiledSessionRead:
    """Mixed into a database-backed SessionStore: our session model, its user's id saved with
    the row, `_get_session_from_db` as one compiled read of the row and its user, and `decode`
    checking a given session string's signature once per process (`_verified_payload`)."""

    key_salt: str
    serializer: Any

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if not isinstance(session_data, str):  # the database and Redis hold text
            return super().decode(session_data)  # type: ignore[misc,no-any-return]
        try:
            data: dict[str, Any] = self.serializer().loads(
                _verified_payload(session_data, self.key_salt)
            )
        except Exception:  # noqa: BLE001 - Django's own decode logs it and answers {}
            return super().decode(session_data)  # type: ignore[misc,no-any-return]
        return data

    session_key: str | None
    _session_key: str | None

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session: Session = super().create_model_instance(data)  # type: ignore[misc]
        # Rewritten at every save: login (cycle_key, then the new data), logout (flush).
        session.user_id = _user_id(data)
        return session

    def _get_session_from_db(self) -> Any:
        session = compiled_lookup(
            key=("session-with-user",),
            build=_session_with_user,
            placeholder=_PLACEHOLDER_KEY,
            value=self.session_key,
        )
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        holder = _request.get()
        if holder is not None and session.user_id is not None:
            # The last session loaded in the request wins; the backend checks the id.
            holder.user_id, holder.user = session.user_id, session.user
        return session
