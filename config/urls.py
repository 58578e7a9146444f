"""Top-level URLs: each app mounts its own urls.py; i18n switch and admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("maillage.accounts.urls")),
    path("people/", include("maillage.people.urls")),
    path("elections/", include("maillage.elections.urls")),
    path("surveys/", include("maillage.surveys.urls")),
    path("canvassing/", include("maillage.canvassing.urls")),
    path("phonebank/", include("maillage.phonebank.urls")),
    path("messaging/", include("maillage.messaging.urls")),
    path("forum/", include("maillage.forum.urls")),
    path("", include("maillage.core.urls")),
]

if settings.MAILLAGE_BENCH_PAGE:  # the load benchmark's baseline page, never in production
    from benchmarks.bare_page import bare_page

    urlpatterns.insert(0, path("bench/bare/", bare_page))

handler400 = "maillage.core.views.error_400"
handler404 = "maillage.core.views.error_404"
handler500 = "maillage.core.views.error_500"
handler403 = "maillage.core.views.error_403"
