from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "maillage.forum"
    label = "forum"
