"""The doorstep app's URLs, included from canvassing's urls.py under /canvassing/doorstep/."""

from django.urls import URLPattern, URLResolver, path

from maillage.canvassing.doorstep import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("doorstep/", views.doorstep_home, name="doorstep_home"),
    path("doorstep/sw.js", views.doorstep_worker, name="doorstep_worker"),
    path("doorstep/sync/", views.doorstep_sync, name="doorstep_sync"),
    path("doorstep/turf/<int:turf_id>/", views.doorstep_turf, name="doorstep_turf"),
    path("doorstep/turf/<int:turf_id>/data/", views.doorstep_turf_data, name="doorstep_turf_data"),
    path("doorstep/progress/", views.doorstep_progress, name="doorstep_progress"),
    path("doorstep/persuasion/", views.doorstep_persuasion, name="doorstep_persuasion"),
]
