"""People URLs: the import pages and the people/segment/dedupe/GDPR pages live in two url
modules so that each part of the app keeps its own routes."""

from django.urls import include, path

app_name = "people"

urlpatterns = [
    path("imports/", include("maillage.people.views.imports_urls")),
    path("lists/", include("maillage.people.views.lists_urls")),
    path("", include("maillage.people.views.people_urls")),
]
