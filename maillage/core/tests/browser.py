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


# axe-core's rules at these impacts fail a test; "moderate" and "minor" ones are advice.
BLOCKING_IMPACTS = ("serious", "critical")


# What axe lets through: a label or a description pointing at no element at all, which is what
# Django's `aria-describedby="id_…_helptext"` did when the help text was rendered as `id_…_help`.
BROKEN_REFERENCES_SCRIPT = """() => {
  const broken = [];
  for (const label of document.querySelectorAll('label[for]')) {
    if (!label.htmlFor || !document.getElementById(label.htmlFor)) {
      broken.push(`label for="${label.htmlFor}" (${label.textContent.trim()}) names no element`);
    }
  }
  for (const attribute of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
    for (const element of document.querySelectorAll(`[${attribute}]`)) {
      for (const id of element.getAttribute(attribute).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          broken.push(`${attribute}="${id}" on <${element.tagName.toLowerCase()} name="${element.name || ''}"> names no element`);
        }
      }
    }
  }
  return broken;
}"""


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Run axe-core (shipped in the `axe-playwright-python` package, never from a CDN) on the
    page as it is now; one line per serious or critical violation, with the nodes it hit."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    broken = page.evaluate(BROKEN_REFERENCES_SCRIPT)
    return [f"{page.url} — {line}" for line in broken] + [
        f"{page.url} — {violation['id']} ({violation['impact']}): {violation['help']} — "
        + " | ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    violations = axe_violations(page)
    assert not violations, "\n".join(violations)


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


def open_nav_section(page, section: str) -> None:  # type: ignore[no-untyped-def]
    """Unfold a section of the main menu (Fichier, Pilotage, Administration) on a wide screen."""
    page.get_by_test_id("main-nav").locator("summary", has_text=section).click()
