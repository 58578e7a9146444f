"""What every authenticated request costs before its view runs: the middleware stack (sessions,
locale, CSRF, authentication, OTP, the 2FA gate, messages, htmx, axes) and the page shell
(navigation, language switch, messages) run a fixed, small number of queries (#17)."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import override_settings
from django.urls import path

from config import urls as project_urls
from maillage.core.tests.base import BaseTestCase


def shell_only(request: HttpRequest) -> HttpResponse:
    """A page with no query of its own, in the real page shell."""
    page = engines["django"].from_string(
        '{% extends "base.html" %}{% block content %}<p>Shell</p>{% endblock %}'
    )
    return HttpResponse(page.render({}, request))


urlpatterns = [path("shell/", shell_only), *project_urls.urlpatterns]


@override_settings(ROOT_URLCONF="maillage.core.tests.test_request_cost")
class RequestCostTestCase(BaseTestCase):
    def test_an_authenticated_page_costs_one_query_for_the_session_and_the_user(self) -> None:
        for user in (self.teammate, self.owner, self.admin):
            self.login(user)
            self.client.get("/shell/")  # a first page may write the session once
            with self.assertNumQueries(1):  # the session row LEFT JOIN the user row
                response = self.client.get("/shell/")
            self.assertEqual(response.status_code, 200)

    def test_a_user_with_a_second_factor_also_costs_the_device(self) -> None:
        self.login_with_2fa(self.teammate)
        self.client.get("/shell/")
        with self.assertNumQueries(2):  # the session with its user, the OTP device
            response = self.client.get("/shell/")
        self.assertEqual(response.status_code, 200)

    @pytest.mark.services
    def test_with_redis_the_session_costs_no_query(self) -> None:
        # settings.SESSION_ENGINE is cached_db when REDIS_URL is set (test_settings_env).
        redis = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/15",
            }
        }
        engine = "maillage.accounts.sessions.cached_db"
        with self.settings(CACHES=redis, SESSION_ENGINE=engine):
            self.login(self.teammate)
            self.client.get("/shell/")
            with self.assertNumQueries(1):  # the user row; the session comes from Redis
                response = self.client.get("/shell/")
            self.assertEqual(response.status_code, 200)

    def test_an_anonymous_page_costs_nothing(self) -> None:
        with self.assertNumQueries(0):
            response = self.client.get("/shell/")
        self.assertEqual(response.status_code, 200)

    def test_templates_are_compiled_once_per_process(self) -> None:
        # No explicit `loaders`: Django wraps the app-directories loader in the cached loader.
        from django.template.loaders.cached import Loader

        loaders = engines["django"].engine.template_loaders  # type: ignore[attr-defined]
        self.assertIsInstance(loaders[0], Loader)
