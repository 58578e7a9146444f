"""Django's cached database sessions, with the compiled read on a cache miss (see the package's
docstring)."""

from django.contrib.sessions.backends import cached_db

from maillage.accounts.sessions import CompiledSessionRead


class SessionStore(CompiledSessionRead, cached_db.SessionStore):
    pass
