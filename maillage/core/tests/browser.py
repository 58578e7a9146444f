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


# Runs in every document before its own scripts (Playwright injects it past the page's CSP), so a
# violation that Chromium does not print to the console still reaches the console listener.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` (${e.sourceFile}:${e.lineNumber})`);
});
"""


class ConsoleWatch:
    """Collects what a page complains about: console errors and warnings (Chromium reports CSP
    violations there), `securitypolicyviolation` events and uncaught script errors."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.problems: list[str] = []
        page.context.add_init_script(_CSP_LISTENER)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

    def _on_console(self, message) -> None:  # type: ignore[no-untyped-def]
        text = message.text
        if (
            message.type in ("error", "warning")
            or "Content Security Policy" in text
            or "Content-Security-Policy" in text
        ):
            self.problems.append(f"{self.page.url}: [{message.type}] {text}")

    def visit(self, url: str) -> None:
        """Open a page that must answer 200 under the enforced policy, and wait for its htmx."""
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), url
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
