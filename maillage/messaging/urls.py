from django.urls import URLPattern, URLResolver, include, path

from maillage.messaging import views, views_sms

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
    path("sms/new/", views_sms.sms_create, name="sms_create"),
    path("mobilisation/new/", views_sms.mobilisation_create, name="mobilisation_create"),
    path("<int:campaign_id>/rsvp-count/", views_sms.mobilisation_count, name="rsvp_count"),
    path("<int:campaign_id>/reminder/", views_sms.mobilisation_reminder, name="reminder"),
    path("inbox/", views_sms.inbox, name="inbox"),
    path("inbox/<int:message_id>/handled/", views_sms.inbox_handled, name="inbox_handled"),
    path("sms/<str:provider>/receipt/", views_sms.sms_receipt, name="sms_receipt"),
    path("sms/<str:provider>/inbound/", views_sms.sms_inbound, name="sms_inbound"),
    path("r/<str:token>/", views_sms.rsvp, name="rsvp"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # ESP tracking webhooks: /messaging/anymail/brevo/tracking/, /messaging/anymail/mailjet/tracking/
    path("anymail/", include("anymail.urls")),
]
