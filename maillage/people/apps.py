from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "maillage.people"
    label = "people"

    def ready(self) -> None:
        # Every app's segment filters register now, so the builder and the engine see them all.
        from maillage.people.segment_filters import autodiscover

        autodiscover()
