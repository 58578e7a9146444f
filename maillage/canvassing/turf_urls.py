"""Routes of the turf pages (included by canvassing's urls.py)."""

from django.urls import URLPattern, URLResolver, path

from maillage.canvassing import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("turfs/", views.turf_list, name="turf_list"),
    path("turfs/new/", views.turf_create, name="turf_create"),
    path("turfs/points/", views.people_points, name="people_points"),
    path("turfs/<int:turf_id>/", views.turf_detail, name="turf_detail"),
    path("turfs/<int:turf_id>/map.json", views.turf_map_data, name="turf_map_data"),
    path("turfs/<int:turf_id>/assign/", views.turf_assign_view, name="turf_assign"),
    path(
        "turfs/<int:turf_id>/unassign/<int:assignment_id>/",
        views.turf_unassign_view,
        name="turf_unassign",
    ),
    path("turfs/<int:turf_id>/archive/", views.turf_archive_view, name="turf_archive"),
    path("turfs/<int:turf_id>/walk-list.pdf", views.walk_list_print, name="walk_list_pdf"),
    path("turfs/<int:turf_id>/paper/", views.paper_entry, name="paper_entry"),
]
