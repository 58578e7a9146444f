from django.apps import AppConfig


class CanvassingConfig(AppConfig):
    name = "maillage.canvassing"
    label = "canvassing"
