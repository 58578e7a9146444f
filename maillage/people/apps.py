from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "maillage.people"
    label = "people"
