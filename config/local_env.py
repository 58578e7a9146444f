"""Writes a development machine's settings file once (`make install` runs it): `var/local.env`.

With it, `.venv/bin/maillage …` works in a fresh clone as the README shows, without anything
exported; config/env.py reads it (see `load_local_env` for when it is ignored).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

TEMPLATE = """\
# Written once by `make install` for this development machine; git-ignored, never committed.
# config/env.py reads it unless the environment sets SECRET_KEY (as every deployment does);
# a variable set in the environment wins over this file. Delete it to get a new key.
MAILLAGE_DEV=1
SECRET_KEY={key}
# The database is the SQLite file {sqlite}; to use PostgreSQL instead:
# DATABASE_URL=postgres://postgres@127.0.0.1:5432/maillage
"""


def local_env_write(*, path: Path) -> bool:
    """Write the file if it does not exist yet (an existing one, and its key, are kept)."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.format(
        key=secrets.token_urlsafe(64), sqlite=path.resolve().parent / "maillage.sqlite3"
    )
    partial = path.with_name(path.name + ".partial")
    # Only its owner reads a file holding a secret key.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    partial.replace(path)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if local_env_write(path=target):
        print(f"Wrote {target} (development settings and a secret key of its own).")
