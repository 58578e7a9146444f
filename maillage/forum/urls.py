from django.urls import URLPattern, URLResolver, path

from maillage.forum import views

app_name = "forum"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("t/<slug:slug>/", views.theme, name="theme"),
    path("t/<slug:slug>/moderation/", views.queue, name="theme_queue"),
    path("t/<slug:slug>/synthese/", views.synthesis_new, name="synthesis_new"),
    path("c/<int:contribution_id>/", views.contribution, name="contribution"),
    path("c/<int:contribution_id>/modifier/", views.contribution_edit, name="contribution_edit"),
    path(
        "c/<int:contribution_id>/retirer/",
        views.contribution_withdraw,
        name="contribution_withdraw",
    ),
    path("<str:kind>/<int:item_id>/noter/", views.rate, name="rate"),
    path("<str:kind>/<int:item_id>/signaler/", views.flag, name="flag"),
    path("textes/<slug:slug>/", views.programme, name="programme"),
    path("charte/", views.charter, name="charter"),
    path("journal/", views.log, name="log"),
    path("membres/<int:user_id>/", views.member, name="member"),
    path("membres/<int:user_id>/niveau/", views.member_level, name="member_level"),
    path("membres/<int:user_id>/bannir/", views.member_ban, name="member_ban"),
    path(
        "membres/<int:user_id>/lever-bannissement/",
        views.member_ban_lift,
        name="member_ban_lift",
    ),
    path("moi/", views.me, name="me"),
    path("moi/nom-au-journal/", views.me_log_name, name="me_log_name"),
    path("moderation/", views.queue, name="queue"),
    path("appel/<int:action_id>/", views.appeal, name="appeal"),
    path("appels/<int:appeal_id>/", views.appeal_decide, name="appeal_decide"),
    path("meta-moderation/", views.meta, name="meta"),
    path("syntheses/<int:synthesis_id>/", views.synthesis, name="synthesis"),
    path(
        "syntheses/<int:synthesis_id>/publier/", views.synthesis_publish, name="synthesis_publish"
    ),
    path("gerer/", views.manage, name="manage"),
]
