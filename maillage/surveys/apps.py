from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "maillage.surveys"
    label = "surveys"
