from django.urls import path

from maillage.elections import views

app_name = "elections"

urlpatterns = [
    path("", views.election_list, name="list"),
    path("close-races/", views.close_races, name="close_races"),
    path("close-races/export.csv", views.close_races_export, name="close_races_export"),
    path("upload/", views.upload, name="upload"),
    path("imports/<int:import_id>/", views.import_detail, name="import_detail"),
    path("<slug:slug>/<str:level>/<str:code>/", views.area_detail, name="area_detail"),
]
