"""Django's PostgreSQL backend, with two changes. The health check (`CONN_HEALTH_CHECKS`) is
skipped by a connection that served a request without error less than a second ago. And
psycopg keeps the placeholders' conversion of longer statements (`LONGEST_KEPT_STATEMENT`).

Django checks a kept connection at the start of each request with `SELECT 1`, so that a
connection the server dropped (a restart, an idle timeout) is replaced instead of failing the
request. That check is a round trip on every page: 0.15 ms of the web process's CPU and
0.2 ms of its time, 5 % of a contact sheet at 1,000,000 people (#17). A connection that has
just answered is alive unless the server went away in that second, and then the request fails
as it would have without health checks (Django closes a connection after such an error, the
next request opens a new one). A connection idle for longer is checked as before.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base
from psycopg import _queries

# How recent an answer stands in for the health check, in seconds.
ANSWERED_RECENTLY = 1.0

# psycopg converts a statement's `%s` placeholders to `$1`… by scanning its text, and keeps the
# result (an LRU of 128 statements) only for statements of up to 4,096 characters. A contact
# sheet's one statement (`core.compiled.compiled_instances_behind`) is about 11,000: it was
# scanned again on every view. The statements here are Django's compiled SQL, a bounded set, so
# longer ones are kept too (128 × 32 kB at most). `_queries` is psycopg's private module: a test
# (core/tests/test_postgresql_backend.py) fails if this stops having an effect.
LONGEST_KEPT_STATEMENT = 32 * 1024
_queries.MAX_CACHED_STATEMENT_LENGTH = max(
    _queries.MAX_CACHED_STATEMENT_LENGTH, LONGEST_KEPT_STATEMENT
)


class DatabaseWrapper(base.DatabaseWrapper):
    # Django's own attributes (django-stubs does not declare them).
    health_check_done: bool
    health_check_enabled: bool
    # time.monotonic() when this connection last served a request without error; 0: never.
    answered_at = 0.0

    def close_if_unusable_or_obsolete(self) -> None:
        # Called as a request ends and as the next one starts. At the end of a request that
        # used the connection (its health check was done or skipped) without an error, the
        # server has just answered.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.answered_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self.answered_at < ANSWERED_RECENTLY
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close(self) -> None:
        self.answered_at = 0.0
        super().close()
