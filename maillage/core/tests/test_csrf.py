"""`core.csrf.csrf_token` masks as Django's `get_token` does: tokens the middleware accepts,
a fresh uniform mask each time, and Django's own path without a valid secret."""

from __future__ import annotations

import re
from collections import Counter

from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import RequestFactory, SimpleTestCase
from django.urls import reverse

from maillage.core.csrf import csrf_token
from maillage.core.tests.base import BaseTestCase

SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


class CsrfTokenTestCase(SimpleTestCase):
    def request(self, secret: object = SECRET):  # type: ignore[no-untyped-def]
        request = RequestFactory().get("/")
        if secret is not None:
            request.META["CSRF_COOKIE"] = secret
        return request

    def test_the_token_unmasks_to_the_cookies_secret_and_renews_the_cookie(self) -> None:
        request = self.request()
        token = csrf_token(request)
        self.assertEqual(len(token), 64)
        self.assertTrue(set(token) <= set(CSRF_ALLOWED_CHARS))
        self.assertEqual(_unmask_cipher_token(token), SECRET)
        self.assertIs(request.META["CSRF_COOKIE_NEEDS_UPDATE"], True)

    def test_each_token_has_a_fresh_mask(self) -> None:
        tokens = {csrf_token(self.request()) for _ in range(50)}
        self.assertEqual(len(tokens), 50)
        self.assertEqual({_unmask_cipher_token(token) for token in tokens}, {SECRET})

    def test_every_character_of_a_mask_is_as_likely(self) -> None:
        counts = Counter(char for _ in range(3000) for char in csrf_token(self.request())[:32])
        expected = 3000 * 32 / len(CSRF_ALLOWED_CHARS)  # 1,548; a standard deviation of 39
        self.assertEqual(set(counts), set(CSRF_ALLOWED_CHARS))
        # A mask taken as `byte % 62` makes the first eight characters 25 % likelier (1,935).
        for char, count in counts.items():
            self.assertLess(abs(count - expected), 6 * 39, char)

    def test_without_a_secret_django_makes_one(self) -> None:
        # A request the middleware has not seen (the middleware always leaves a valid one).
        request = self.request(None)
        token = csrf_token(request)
        made = request.META["CSRF_COOKIE"]
        self.assertEqual(len(made), 32)
        self.assertEqual(_unmask_cipher_token(token), made)


class CsrfTokenInPagesTestCase(BaseTestCase):
    def test_a_page_prints_tokens_the_middleware_accepts(self) -> None:
        self.login(self.teammate)
        self.client.get(reverse("core:dashboard"))  # the first page sets the cookie
        secret = self.client.cookies["csrftoken"].value
        html = self.client.get(reverse("core:dashboard")).content.decode()
        tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        tokens |= set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))
        self.assertEqual(len(tokens), 1)  # one masking a page
        (token,) = tokens
        self.assertEqual(_unmask_cipher_token(token), secret)
        self.client.handler.enforce_csrf_checks = True
        refused = self.client.post(reverse("set_language"), {"language": "en"})
        self.assertEqual(refused.status_code, 403)
        accepted = self.client.post(
            reverse("set_language"), {"language": "en", "csrfmiddlewaretoken": token}
        )
        self.assertEqual(accepted.status_code, 302)
