"""Settings from the environment: bad values stop start-up with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import ImproperlyConfiguredEnv, database_from_url, email_from_url, env_bool, env_int

ROOT = Path(__file__).resolve().parents[3]


def run_maillage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "MAILLAGE_VAR_DIR": "/tmp/maillage-env-test",
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "maillage.cli", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    result = run_maillage("check")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "maillage: configuration error: SECRET_KEY is required: set it in the environment."
    )
    assert "Traceback" not in result.stderr


def test_it_names_the_variable_with_a_bad_boolean() -> None:
    result = run_maillage("check", MAILLAGE_DEV="1", DEBUG="maybe")
    assert result.returncode == 2
    assert "DEBUG='maybe' is not a boolean" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_says_plainly_when_the_database_cannot_be_reached() -> None:
    result = run_maillage(
        "migrate", MAILLAGE_DEV="1", DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing"
    )
    assert result.returncode == 3
    assert result.stderr.startswith("maillage: cannot reach the database named by DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_the_deploy_check_passes_with_a_production_environment() -> None:
    result = run_maillage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="k7Qp2vXz9LmN4rT8wYb1cDf6gHj3sKa5eRu0iOp7qWxZ2nMv8BcT",
        ALLOWED_HOSTS="campagne.example.org",
        EMAIL_URL="smtp+tls://user:pw@smtp.example.org:587",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_refuses_a_short_production_secret() -> None:
    result = run_maillage("check", SECRET_KEY="short")
    assert result.returncode == 2
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_database_urls_are_understood(tmp_path: Path) -> None:
    os.environ["MAILLAGE_TEST_DB"] = (
        "postgres://alice:s%40cret@db.example.org:6543/campagne?sslmode=require"
    )
    try:
        config = database_from_url("MAILLAGE_TEST_DB", tmp_path / "x.db")
    finally:
        del os.environ["MAILLAGE_TEST_DB"]
    assert (
        config["ENGINE"],
        config["NAME"],
        config["USER"],
        config["PASSWORD"],
        config["HOST"],
        config["PORT"],
    ) == ("maillage.core.postgresql", "campagne", "alice", "s@cret", "db.example.org", "6543")
    assert config["OPTIONS"] == {
        "sslmode": "require",
        "options": "-c jit=off -c random_page_cost=1.1",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    # Behind a pooler in transaction mode: no prepared statements.
    os.environ["MAILLAGE_TEST_DB"] = (
        "postgres://u@h/db?server_side_binding=off&prepare_threshold=off"
    )
    try:
        pooled = database_from_url("MAILLAGE_TEST_DB", tmp_path / "x.db")["OPTIONS"]
        assert (pooled["server_side_binding"], pooled["prepare_threshold"]) == (False, None)
        os.environ["MAILLAGE_TEST_DB"] = "postgres://u@h/db?prepare_threshold=often"
        with pytest.raises(ImproperlyConfiguredEnv, match="prepare_threshold='often'"):
            database_from_url("MAILLAGE_TEST_DB", tmp_path / "x.db")
    finally:
        del os.environ["MAILLAGE_TEST_DB"]
    assert database_from_url("UNSET_VARIABLE_FOR_TEST", tmp_path / "x.db")["NAME"] == str(
        tmp_path / "x.db"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://root@localhost/db", "is not understood"),
        ("postgres://localhost", "names no database"),
        ("postgres://localhost:port/db", "port that is not a number"),
    ],
)
def test_bad_database_urls_are_refused(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("MAILLAGE_TEST_DB", value)
    with pytest.raises(ImproperlyConfiguredEnv, match=message):
        database_from_url("MAILLAGE_TEST_DB", Path("/tmp/x.db"))


def test_email_urls_are_understood(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_TEST_EMAIL", "smtp+tls://user:p%40ss@smtp.example.org")
    config = email_from_url("MAILLAGE_TEST_EMAIL", "console://")
    assert (config.host, config.port, config.user, config.password, config.use_tls) == (
        "smtp.example.org",
        587,
        "user",
        "p@ss",
        True,
    )
    monkeypatch.setenv("MAILLAGE_TEST_EMAIL", "pigeon://coop")
    with pytest.raises(
        ImproperlyConfiguredEnv, match="MAILLAGE_TEST_EMAIL='pigeon://coop' is not understood"
    ):
        email_from_url("MAILLAGE_TEST_EMAIL", "console://")


def test_numbers_and_booleans_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_TEST_N", "ten")
    with pytest.raises(
        ImproperlyConfiguredEnv, match="MAILLAGE_TEST_N='ten' is not a whole number"
    ):
        env_int("MAILLAGE_TEST_N", 1)
    monkeypatch.setenv("MAILLAGE_TEST_N", "0")
    with pytest.raises(ImproperlyConfiguredEnv, match="must be at least 1"):
        env_int("MAILLAGE_TEST_N", 1, minimum=1)
    monkeypatch.setenv("MAILLAGE_TEST_B", "Yes")
    assert env_bool("MAILLAGE_TEST_B") is True


# The local settings file `make install` writes (var/local.env): what lets the README's
# `.venv/bin/maillage …` commands run in a fresh clone with nothing exported.


def show_settings(var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings as s; print(s.DEV_MODE, s.SECRET_KEY, s.EMAIL_BACKEND)"
    return run_maillage("shell", "--no-imports", "-c", code, MAILLAGE_VAR_DIR=str(var_dir), **env)


def test_commands_run_with_nothing_exported_once_the_local_file_is_written(
    tmp_path: Path,
) -> None:
    from config.local_env import local_env_write

    assert local_env_write(path=tmp_path / "local.env")
    key = next(
        line.split("=", 1)[1]
        for line in (tmp_path / "local.env").read_text().splitlines()
        if line.startswith("SECRET_KEY=")
    )
    assert len(key) >= 50
    result = show_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        key,
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_the_local_file_is_written_once_and_for_its_owner_only(tmp_path: Path) -> None:
    from config.local_env import local_env_write

    path = tmp_path / "var" / "local.env"
    assert local_env_write(path=path)
    first = path.read_text()
    assert not local_env_write(path=path)
    assert path.read_text() == first
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_environment_wins_over_the_local_file(tmp_path: Path) -> None:
    (tmp_path / "local.env").write_text("MAILLAGE_DEV=1\nEMAIL_URL=console://\n")
    result = show_settings(tmp_path, EMAIL_URL="memory://")
    assert result.stdout.split()[2] == "django.core.mail.backends.locmem.EmailBackend"
    refused = show_settings(tmp_path, MAILLAGE_DEV="0")
    assert refused.returncode == 2
    assert "SECRET_KEY is required" in refused.stderr


def test_a_secret_key_in_the_environment_means_production_whatever_the_local_file_says(
    tmp_path: Path,
) -> None:
    (tmp_path / "local.env").write_text("MAILLAGE_DEV=1\n")
    result = run_maillage("check", MAILLAGE_VAR_DIR=str(tmp_path), SECRET_KEY="short")
    assert result.returncode == 2
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_a_bad_line_in_the_local_file_is_named_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "local.env").write_text("MAILLAGE_DEV=1\nexport DEBUG\n")
    result = run_maillage("check", MAILLAGE_VAR_DIR=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"maillage: configuration error: {tmp_path / 'local.env'}, line 2: "
        "expected KEY=VALUE, found 'export DEBUG'."
    )


def test_sessions_are_cached_in_redis_only_when_redis_is_configured() -> None:
    show = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    alone = run_maillage("shell", "-c", show, MAILLAGE_DEV="1")
    last_line = alone.stdout.strip().splitlines()[-1]
    assert last_line == "maillage.accounts.sessions.db", alone.stderr
    # A per-process memory cache would let another worker serve a logged-out session: only a
    # cache every process shares may hold them.
    shared = run_maillage(
        "shell", "-c", show, MAILLAGE_DEV="1", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    last_line = shared.stdout.strip().splitlines()[-1]
    assert last_line == "maillage.accounts.sessions.cached_db", shared.stderr
