"""Writes of messaging, split by sub-domain: `campaigns` (compose, schedule, cancel, freeze and
start), `sending` (the worker's resumable loop; its docstring says how a crash is resumed and
how many messages can be sent twice), `events` (the one-click unsubscribe, the ESP events)."""

from maillage.messaging.services.campaigns import EDITABLE as EDITABLE
from maillage.messaging.services.campaigns import CampaignStateError as CampaignStateError
from maillage.messaging.services.campaigns import campaign_cancel as campaign_cancel
from maillage.messaging.services.campaigns import campaign_create as campaign_create
from maillage.messaging.services.campaigns import campaign_schedule as campaign_schedule
from maillage.messaging.services.campaigns import campaign_start as campaign_start
from maillage.messaging.services.campaigns import campaign_update as campaign_update
from maillage.messaging.services.campaigns import enqueue_at as enqueue_at
from maillage.messaging.services.events import deliveries_requeue_for as deliveries_requeue_for
from maillage.messaging.services.events import delivery_event_record as delivery_event_record
from maillage.messaging.services.events import unsubscribe_delivery as unsubscribe_delivery
from maillage.messaging.services.events import unsubscribe_record as unsubscribe_record
from maillage.messaging.services.events import unsubscribe_token as unsubscribe_token
from maillage.messaging.services.events import unsubscribe_url as unsubscribe_url
from maillage.messaging.services.sending import SendReport as SendReport
from maillage.messaging.services.sending import campaign_send_run as campaign_send_run
from maillage.messaging.services.sending import campaign_test_send as campaign_test_send
