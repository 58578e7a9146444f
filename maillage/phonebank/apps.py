from django.apps import AppConfig


class PhonebankConfig(AppConfig):
    name = "maillage.phonebank"
    label = "phonebank"

    def ready(self) -> None:
        from maillage.people.signals import person_merging
        from maillage.phonebank.services import person_merging_received

        # A merge of two people keeps the merged person's places in call queues, and their calls.
        person_merging.connect(person_merging_received, dispatch_uid="phonebank.queue_places")
