"""The `maillage` console command: Django's manage.py, installed with the package.

Configuration errors (bad environment values, unreachable database) and a database lost along
the way (Django's errors, or the driver's own, which COPY raises unwrapped) are printed as one
line naming what is wrong, with a non-zero exit, instead of a traceback.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    argv = list(sys.argv if argv is None else argv)
    from django.core.management import execute_from_command_line

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - forces settings to load here, inside the try
    except Exception as error:  # pragma: no cover - exercised through subprocess tests
        from config.env import ImproperlyConfiguredEnv

        if isinstance(error, ImproperlyConfiguredEnv):
            sys.stderr.write(f"maillage: configuration error: {error}\n")
            raise SystemExit(2) from None
        raise
    try:
        execute_from_command_line(argv)
    except Exception as error:
        if _is_database_failure(error):
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            sys.stderr.write(
                "maillage: cannot reach the database named by DATABASE_URL "
                f"(or it stopped answering): {first_line}\n"
            )
            raise SystemExit(3) from None
        raise


def _is_database_failure(error: BaseException) -> bool:
    from django.db import connection
    from django.db.utils import InterfaceError, OperationalError

    kinds: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
    driver = getattr(connection, "Database", None)  # the DB-API module of the backend
    if driver is not None:
        kinds += (driver.OperationalError, driver.InterfaceError)
    return isinstance(error, kinds)


if __name__ == "__main__":
    main()
