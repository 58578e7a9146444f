"""Demo messaging: an email to the nurses of Vallon-sur-Mer (personalised, ready to preview and
send), some of the commune's contacts made activists, and a mobilisation SMS to them, sent
into the development file provider (nothing leaves the machine), with a few
answers already in. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from maillage.accounts.demo import COMMUNE
from maillage.accounts.models import User
from maillage.messaging.models import Campaign, Delivery
from maillage.messaging.providers import Inbound, sms_provider
from maillage.messaging.selectors import sender_identities
from maillage.messaging.services import campaign_create, campaign_send_run, campaign_start
from maillage.messaging.sms import mobilisation_create, sms_inbound_record
from maillage.people.selectors.people import people_visible_to, reachable_q
from maillage.people.selectors.segments import segment_list
from maillage.people.services.persons import person_update
from maillage.people.services.segments import segment_create

STAFF_EMAIL = "staff@demo.maillage.fr"
NURSES = "Infirmières de Vallon-sur-Mer"
EMAIL_NAME = "Démo — l'hôpital de Vallon, on en parle ?"
MOBILISATION_NAME = "Démo — tractage au marché"
ACTIVISTS = 30
EMAIL_BODY = """Bonjour {{ first_name }},

Vous faites tourner l'hôpital de **{{ commune }}**, et nous voulons vous entendre avant de
publier notre plan pour la santé.

- Une réunion publique jeudi à 19 h, salle des fêtes
- Votre bureau de vote : n° {{ polling_station }}

À très vite,
L'équipe de campagne
"""
SMS_BODY = (
    "{{ first_name }}, tractage samedi 10h au marché de Vallon ! "
    "Venez-vous ? Répondez OUI ou NON, ou {{ rsvp_url }}"
)


def load_demo(*, stdout: Any, small: bool = False) -> None:
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        return
    code = COMMUNE[1]
    nurses = next((s for s in segment_list(user=staff) if s.name == NURSES), None)
    if nurses is None:
        nurses = segment_create(
            actor=staff,
            name=NURSES,
            definition={
                "op": "and",
                "filters": [
                    {"field": "tag", "values": ["infirmiere"]},
                    {"field": "commune", "values": [code]},
                ],
            },
        )
    if not Campaign.objects.filter(name=EMAIL_NAME).exists():
        campaign_create(
            actor=staff,
            name=EMAIL_NAME,
            channel="email",
            segment_id=nurses.pk,
            sender=sender_identities()[0],
            subject="{{ first_name }}, l'hôpital de Vallon : on en parle ?",
            body=EMAIL_BODY,
        )
    if Campaign.objects.filter(name=MOBILISATION_NAME).exists():
        stdout.write(f"messaging: « {EMAIL_NAME} » and « {MOBILISATION_NAME} » already there")
        return
    # Stations 3 to 5: the team's door-to-door lists are stations 1 and 2, whose progress counts
    # every contact.
    stations = [f"{code}_0003", f"{code}_0004", f"{code}_0005"]
    texted = people_visible_to(user=staff).filter(
        reachable_q("sms"), polling_station_code__in=stations
    )
    for person in texted.order_by("pk")[:ACTIVISTS]:
        person_update(actor=staff, person=person, fields={"is_activist": True})
    campaign = mobilisation_create(
        actor=staff,
        name=MOBILISATION_NAME,
        place="Marché de Vallon-sur-Mer",
        event_at=timezone.now() + timedelta(days=2),
        body=SMS_BODY,
        communes=[code],
        polling_stations=stations,
    )
    campaign_start(actor=staff, campaign=campaign, enqueue=False)
    # The demo sends at once whatever the hour (quiet hours would hold it till morning), into
    # the file provider (MAILLAGE_SMS_FILE_PATH): nothing leaves the machine, nothing floods
    # the console of `make run`.
    report = campaign_send_run(
        campaign_id=campaign.pk, rate=0, quiet_hours=False, provider=sms_provider("file")
    )
    replies = ["OUI", "oui !", "Non désolé", "OUI", "Je peux venir à 11h seulement"]
    numbers = Delivery.objects.filter(campaign=campaign, status="sent").order_by("id")
    for delivery, text in zip(numbers, replies, strict=False):
        sms_inbound_record(inbound=Inbound(sender=delivery.address, text=text), provider="demo")
    stdout.write(
        f"messaging: email « {EMAIL_NAME} » ready to send; mobilisation SMS sent to "
        f"{report.sent} activists, written to {settings.MAILLAGE_SMS_FILE_PATH}"
    )
