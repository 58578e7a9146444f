from django.apps import AppConfig


class PhonebankConfig(AppConfig):
    name = "maillage.phonebank"
    label = "phonebank"
