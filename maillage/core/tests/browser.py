"""Helpers for browser tests (the `page` fixtures live in the root conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

SCREENSHOT_DIR = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def browser_login(page, live_server, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save a README screenshot (only when MAILLAGE_SCREENSHOTS=1, so test runs leave no diff)."""
    if os.environ.get("MAILLAGE_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
