"""The Content-Security-Policy header, and a guard over the templates for what it would block
(the browser test, test_csp_browser.py, checks the pages themselves in Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template
from django.test import RequestFactory, override_settings
from django.urls import reverse

from maillage.core.middleware import ContentSecurityPolicyMiddleware
from maillage.core.tests.base import BaseTestCase

TEMPLATE_DIRS = sorted(Path(__file__).resolve().parents[2].glob("*/templates"))
# What the policy refuses in markup: an inline <script> (one without src), an event-handler
# attribute, a style attribute or <style> block, htmx's hx-on (it needs eval).
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "style block": re.compile(r"<style\b", re.I),
    "hx-on": re.compile(r"\shx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _render_with_middleware(source: str, **settings: object) -> HttpResponse:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(Template(source).render(RequestContext(request)))

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with override_settings(**settings):
        return ContentSecurityPolicyMiddleware(view)(request)


class ContentSecurityPolicyTests(BaseTestCase):
    def test_every_page_carries_a_policy_without_inline_script_or_eval(self) -> None:
        self.login(self.owner)
        for url in (reverse("core:home"), reverse("core:dashboard"), reverse("people:person_list")):
            policy = self.client.get(url)["Content-Security-Policy"]
            directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
            self.assertEqual(directives["script-src"], "'self'", url)
            self.assertEqual(directives["style-src"], "'self'", url)
            self.assertEqual(directives["object-src"], "'none'", url)
            self.assertEqual(directives["frame-ancestors"], "'none'", url)
            self.assertNotIn("unsafe", policy)

    def test_error_pages_carry_it_too(self) -> None:
        self.login(self.outsider)
        response = self.client.get(reverse("core:audit_log"))
        self.assertEqual(response.status_code, 403)
        self.assertIn("script-src 'self'", response["Content-Security-Policy"])

    def test_it_only_reports_when_told_to(self) -> None:
        response = _render_with_middleware("ok", MAILLAGE_CSP_REPORT_ONLY=True)
        self.assertNotIn("Content-Security-Policy", response)
        self.assertIn("script-src 'self'", response["Content-Security-Policy-Report-Only"])

    def test_a_template_that_prints_the_nonce_gets_it_in_the_header(self) -> None:
        response = _render_with_middleware(
            '<script nonce="{{ csp_nonce }}">1</script>', MAILLAGE_CSP_REPORT_ONLY=False
        )
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode())
        assert nonce is not None
        self.assertGreaterEqual(len(nonce[1]), 22)
        self.assertIn(f"script-src 'self' 'nonce-{nonce[1]}'", response["Content-Security-Policy"])

    def test_a_page_without_inline_blocks_gets_no_nonce(self) -> None:
        response = _render_with_middleware("ok", MAILLAGE_CSP_REPORT_ONLY=False)
        self.assertNotIn("nonce-", response["Content-Security-Policy"])

    def test_two_requests_get_two_nonces(self) -> None:
        source = "{{ csp_nonce }}"
        first = _render_with_middleware(source).content
        second = _render_with_middleware(source).content
        self.assertNotEqual(first, second)

    def test_no_template_holds_markup_the_policy_would_block(self) -> None:
        self.assertGreaterEqual(len(TEMPLATE_DIRS), 4)
        found = []
        for folder in TEMPLATE_DIRS:
            for path in sorted(folder.rglob("*.html")):
                text = path.read_text(encoding="utf-8")
                found += [
                    f"{path.relative_to(folder)}: {name}"
                    for name, pattern in FORBIDDEN.items()
                    if pattern.search(text)
                ]
        self.assertEqual(found, [])
