"""Django's database sessions, with the compiled read (see the package's docstring)."""

from django.contrib.sessions.backends import db

from maillage.accounts.sessions import CompiledSessionRead


class SessionStore(CompiledSessionRead, db.SessionStore):
    pass
