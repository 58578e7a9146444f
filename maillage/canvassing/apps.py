from django.apps import AppConfig


class CanvassingConfig(AppConfig):
    name = "maillage.canvassing"
    label = "canvassing"

    def ready(self) -> None:
        from maillage.canvassing.services import person_erasing_received, person_merging_received
        from maillage.people.signals import person_erasing, person_merging

        # A merge of two people keeps the merged person's places in turfs (on the kept person).
        person_merging.connect(person_merging_received, dispatch_uid="canvassing.turf_places")
        # An erased person leaves their turfs: the turfs' counts follow.
        person_erasing.connect(person_erasing_received, dispatch_uid="canvassing.turf_counts")
