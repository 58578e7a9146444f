"""Typed readers for settings taken from the environment.

Each helper refuses a bad value with `ImproperlyConfiguredEnv`, whose message names the
variable and what it expects; `maillage.cli` prints that one line and exits non-zero instead
of letting a traceback reach the operator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


class ImproperlyConfiguredEnv(Exception):
    """A setting read from the environment has a value we cannot use."""


# Values read from the local settings file (see `load_local_env`); the environment wins over them.
_local: dict[str, str] = {}


def _get(name: str) -> str | None:
    value = os.environ.get(name)
    return _local.get(name) if value is None else value


def load_local_env(path: Path) -> Path | None:
    """Read a development machine's `KEY=VALUE` file, written once by `make install`.

    It is what lets `.venv/bin/maillage …` run in a fresh clone exactly as the README shows
    (development mode, a key of its own) without anything exported. The file is ignored when
    the environment sets `SECRET_KEY`: a deployment always does, so a `var/local.env` left on a
    server never turns production into development mode. Variables set in the environment win
    over the file's. Returns the path read, or None.
    """
    _local.clear()
    if os.environ.get("SECRET_KEY") or not path.is_file():
        return None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.isidentifier():
            raise ImproperlyConfiguredEnv(
                f"{path}, line {number}: expected KEY=VALUE, found {line!r}."
            )
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        _local[key] = value
    return path


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = _get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfiguredEnv(f"{name} is required: set it in the environment.")
        return default or ""
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = _get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = _get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: dict[str, str]) -> str:
    """Read a short name and map it to a value (e.g. `database` -> a backend path)."""
    raw = (_get(name) or default).strip()
    if raw not in choices:
        allowed = ", ".join(sorted(choices))
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not one of: {allowed}.")
    return choices[raw]


def database_from_url(name: str, default_sqlite_path: Path) -> dict[str, object]:
    """`DATABASE_URL`: `sqlite:///path`, `sqlite://` (default file) or `postgres://user:pw@host:port/db`."""
    raw = (_get(name) or "").strip()
    if not raw:
        return _sqlite(default_sqlite_path)
    parsed = urlparse(raw)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path or "")
        if path in ("", "/"):
            return _sqlite(default_sqlite_path)
        # sqlite:///relative.db -> "relative.db"; sqlite:////abs/path.db -> "/abs/path.db"
        return _sqlite(
            Path(path[1:] if path.startswith("/") and not path.startswith("//") else path)
        )
    if parsed.scheme in ("postgres", "postgresql", "pgsql"):
        db_name = unquote(parsed.path.lstrip("/"))
        if not db_name:
            raise ImproperlyConfiguredEnv(
                f"{name}={raw!r} names no database: use postgres://user@host:5432/dbname."
            )
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        # No JIT compilation by default: a web page's query that crosses the planner's JIT cost
        # threshold spent seconds compiling (2.3 s of 7 s for the area counts at 1 M people).
        # A random read costs about what a sequential one does on SSDs and in memory (1.1, the
        # usual setting for them, instead of the default 4 made for spinning disks): with 4, a
        # volunteer's 8,000 people were found by reading all 1,000,000 (280 ms, against 17 ms
        # by their primary keys). `?options=...` in the URL replaces both.
        options.setdefault("options", "-c jit=off -c random_page_cost=1.1")
        # Server-side parameters, so psycopg prepares a statement run 5 times on a connection:
        # PostgreSQL then plans a page's queries once per connection instead of on every
        # request (planning the volunteer scope's UNION took 2.9 ms, longer than running it).
        # Turn both off (`?server_side_binding=off&prepare_threshold=off`) behind a pooler in
        # transaction mode (PgBouncer's default), which cannot keep prepared statements.
        binding = options.pop("server_side_binding", "on").strip().lower()
        prepare = options.pop("prepare_threshold", "5").strip().lower()
        try:
            threshold = None if prepare in ("", "off", "none") else int(prepare)
        except ValueError:
            raise ImproperlyConfiguredEnv(
                f"{name}: prepare_threshold={prepare!r} is not a number (or off)."
            ) from None
        server_side: dict[str, object] = {
            "server_side_binding": binding in ("1", "on", "true", "yes"),
            "prepare_threshold": threshold,
        }
        try:
            port = parsed.port
        except ValueError:
            raise ImproperlyConfiguredEnv(
                f"{name}={raw!r} has a port that is not a number."
            ) from None
        return {
            "ENGINE": "maillage.core.postgresql",
            "NAME": db_name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {**options, **server_side},
            "TEST": {"NAME": f"test_{db_name}"},
        }
    raise ImproperlyConfiguredEnv(
        f"{name}={raw!r} is not understood: use sqlite:///path/to/file.db or postgres://user@host:5432/dbname."
    )


def _sqlite(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "maillage.core.sqlite3",
        "NAME": str(path),
        # One connection per process, kept across requests: opening one costs a request more
        # CPU than its queries (connect, the three pragmas, Django's SQL functions, close).
        "CONN_MAX_AGE": 600,
        # WAL lets the web process read while the task worker writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write locks inside transactions.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
        # In memory, as Django's own SQLite backend tests by default; named here because
        # pytest-django recognises that default by Django's engine path only, and would give
        # each xdist worker a file named after this one otherwise.
        "TEST": {"NAME": os.environ.get("MAILLAGE_SQLITE_TEST_NAME") or ":memory:"},
    }


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = ""
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


# ESPs through django-anymail (their keys: BREVO_API_KEY, MAILJET_API_KEY/MAILJET_SECRET_KEY).
ANYMAIL_BACKENDS = {
    "brevo": "anymail.backends.brevo.EmailBackend",
    "mailjet": "anymail.backends.mailjet.EmailBackend",
}


def email_from_url(name: str, default: str) -> EmailConfig:
    """`EMAIL_URL`: `smtp://user:pw@host:port`, `smtp+tls://…`, `smtps://…`, `console://`, `file:///dir`, `memory://`."""
    raw = (_get(name) or default).strip()
    parsed = urlparse(raw)
    scheme = parsed.scheme
    if scheme == "console":
        return EmailConfig(backend="django.core.mail.backends.console.EmailBackend")
    if scheme == "memory":
        return EmailConfig(backend="django.core.mail.backends.locmem.EmailBackend")
    if scheme == "file":
        return EmailConfig(
            backend="django.core.mail.backends.filebased.EmailBackend", file_path=parsed.path
        )
    if scheme in ANYMAIL_BACKENDS:
        return EmailConfig(backend=ANYMAIL_BACKENDS[scheme])
    if scheme in ("smtp", "smtp+tls", "smtps"):
        if not parsed.hostname:
            raise ImproperlyConfiguredEnv(
                f"{name}={raw!r} names no host: use smtp://user:password@host:587."
            )
        try:
            port = parsed.port
        except ValueError:
            raise ImproperlyConfiguredEnv(
                f"{name}={raw!r} has a port that is not a number."
            ) from None
        return EmailConfig(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=parsed.hostname,
            port=port or (465 if scheme == "smtps" else 587 if scheme == "smtp+tls" else 25),
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            use_tls=scheme == "smtp+tls",
            use_ssl=scheme == "smtps",
        )
    raise ImproperlyConfiguredEnv(
        f"{name}={raw!r} is not understood: use smtp://host:25, smtp+tls://user:pw@host:587, smtps://…, console:// or file:///dir."
    )
