from django.apps import AppConfig


class ElectionsConfig(AppConfig):
    name = "maillage.elections"
    label = "elections"
