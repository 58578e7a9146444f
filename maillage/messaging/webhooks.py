"""The receiver of anymail's tracking signal: each ESP's webhook (Brevo, Mailjet…), already
authenticated and normalised by anymail, becomes one `delivery_event_record`."""

from __future__ import annotations

from typing import Any

from maillage.messaging.services import delivery_event_record


def on_tracking_event(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    delivery_event_record(
        event_type=str(event.event_type or ""),
        recipient=str(event.recipient or ""),
        metadata=dict(event.metadata or {}),
        message_id=str(event.message_id or "") or None,
        reason=str(event.description or event.mta_response or event.reject_reason or ""),
        at=event.timestamp,
    )
