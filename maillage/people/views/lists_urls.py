"""Routes of the staff lists pages."""

from django.urls import path

from maillage.people.views import lists

urlpatterns = [
    path("", lists.list_index, name="list_index"),
    path("new/", lists.list_create, name="list_create"),
    path("<int:list_id>/", lists.list_detail, name="list_detail"),
    path("<int:list_id>/assign/", lists.list_assign, name="list_assign"),
    path("<int:list_id>/unassign/", lists.list_unassign, name="list_unassign"),
]
