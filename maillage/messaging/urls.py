from django.urls import URLPattern, URLResolver, include, path

from maillage.messaging import views

app_name = "messaging"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.campaign_list, name="campaign_list"),
    path("email/new/", views.email_create, name="email_create"),
    path("<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("<int:campaign_id>/edit/", views.email_edit, name="email_edit"),
    path("<int:campaign_id>/preview/", views.campaign_preview, name="campaign_preview"),
    path("<int:campaign_id>/test/", views.campaign_test, name="campaign_test"),
    path("<int:campaign_id>/send/", views.campaign_send, name="campaign_send"),
    path("<int:campaign_id>/schedule/", views.campaign_schedule, name="campaign_schedule"),
    path("<int:campaign_id>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("<int:campaign_id>/report/", views.campaign_report, name="campaign_report"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # ESP tracking webhooks: /messaging/anymail/brevo/tracking/, /messaging/anymail/mailjet/tracking/
    path("anymail/", include("anymail.urls")),
]
