from django.urls import path

from maillage.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("audit/", views.audit_log, name="audit_log"),
    path("tasks/census/", views.census, name="census"),
    path("tasks/census/start/", views.census_start, name="census_start"),
    path("tasks/<uuid:progress_id>/", views.task_progress_page, name="task_progress_page"),
    path("tasks/<uuid:progress_id>/progress/", views.task_progress, name="task_progress"),
    path(
        "tasks/<uuid:progress_id>/rerun/",
        views.task_progress_rerun_view,
        name="task_progress_rerun",
    ),
]
