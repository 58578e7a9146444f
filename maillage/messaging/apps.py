from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "maillage.messaging"
    label = "messaging"

    def ready(self) -> None:
        # ESP webhooks (bounce, complaint, open…) reach us through anymail's tracking signal.
        from anymail.signals import tracking

        from maillage.messaging.webhooks import on_tracking_event

        tracking.connect(on_tracking_event, dispatch_uid="maillage.messaging.tracking")

        from maillage.messaging.services.merging import person_merging_received
        from maillage.people.signals import person_merging

        # A merge of two people keeps the merged person's deliveries (nothing sent twice).
        person_merging.connect(person_merging_received, dispatch_uid="messaging.deliveries")
