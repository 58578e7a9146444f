from django.urls import URLPattern, URLResolver, path

from maillage.phonebank import views

app_name = "phonebank"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:campaign_id>/", views.call_start, name="call_start"),
    path("<int:campaign_id>/supervise/", views.campaign_supervise, name="campaign_supervise"),
    path("<int:campaign_id>/figures/", views.campaign_figures, name="campaign_figures"),
    path("<int:campaign_id>/status/", views.campaign_status, name="campaign_status"),
    path("<int:campaign_id>/refresh/", views.campaign_refresh, name="campaign_refresh"),
    path("<int:campaign_id>/callback/", views.callback_assign, name="callback_assign"),
    path("<int:campaign_id>/call/<int:entry_id>/", views.call_page, name="call_page"),
    path("<int:campaign_id>/call/<int:entry_id>/stop/", views.call_stop, name="call_stop"),
    path("<int:campaign_id>/call/<int:entry_id>/dial/", views.call_dial, name="call_dial"),
]
