"""Top-level URLs: each app mounts its own urls.py; i18n switch and admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("maillage.accounts.urls")),
    path("people/", include("maillage.people.urls")),
    path("elections/", include("maillage.elections.urls")),
    path("", include("maillage.core.urls")),
]

handler400 = "maillage.core.views.error_400"
handler404 = "maillage.core.views.error_404"
handler500 = "maillage.core.views.error_500"
handler403 = "maillage.core.views.error_403"
