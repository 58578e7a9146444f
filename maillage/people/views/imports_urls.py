"""Routes of the import pages (under /people/imports/)."""

from django.urls import path

from maillage.people.views import imports

urlpatterns = [
    path("", imports.import_list, name="import_list"),
    path("<int:job_id>/mapping/", imports.import_mapping, name="import_mapping"),
    path("<int:job_id>/", imports.import_detail, name="import_detail"),
    path("<int:job_id>/rejected.csv", imports.import_rejected, name="import_rejected"),
    path("<int:job_id>/rerun/", imports.import_rerun, name="import_rerun"),
]
