"""Routes of the script editor (staff)."""

from django.urls import URLPattern, URLResolver, path

from maillage.surveys import views

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.script_index, name="script_list"),
    path("<int:script_id>/", views.script_detail, name="script_detail"),
    path("<int:script_id>/edit/", views.script_edit, name="script_edit"),
    path("<int:script_id>/delete/", views.script_remove, name="script_delete"),
    path("<int:script_id>/preview/", views.script_preview, name="script_preview"),
    path("<int:script_id>/questions/", views.question_create, name="question_create"),
    path("questions/<int:question_id>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:question_id>/move/", views.question_reorder, name="question_move"),
    path("questions/<int:question_id>/delete/", views.question_remove, name="question_delete"),
    path("questions/<int:question_id>/choices/", views.choice_create, name="choice_create"),
    path("choices/<int:choice_id>/edit/", views.choice_edit, name="choice_edit"),
    path("choices/<int:choice_id>/delete/", views.choice_remove, name="choice_delete"),
]
