"""SMS providers behind one interface: `send` one text, and read the provider's callbacks
(delivery receipts, inbound replies) into plain records. Chosen by MAILLAGE_SMS_PROVIDER:
`console` and `file` for development (the demo), `ovh` and `twilio` over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string


class SmsError(Exception):
    """A send that failed; `transient` ones are retried with backoff."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    delivered: bool | None  # None: still on its way (buffered, sent to the carrier)
    error: str = ""


@dataclass(frozen=True)
class Inbound:
    sender: str  # E.164
    text: str
    provider_id: str = ""


class SmsProvider(Protocol):
    name: str

    def send(self, *, to: str, text: str, reference: str) -> str:
        """Send one text; returns the provider's message id; raises SmsError."""

    def verify(self, request: HttpRequest) -> bool:
        """Whether a callback request really comes from the provider."""

    def receipts(self, request: HttpRequest) -> list[Receipt]: ...

    def inbound(self, request: HttpRequest) -> list[Inbound]: ...


PROVIDERS = {
    "console": "maillage.messaging.providers.dev.ConsoleProvider",
    "file": "maillage.messaging.providers.dev.FileProvider",
    "ovh": "maillage.messaging.providers.ovh.OvhProvider",
    "twilio": "maillage.messaging.providers.twilio.TwilioProvider",
}


def sms_provider(name: str | None = None) -> SmsProvider:
    provider: SmsProvider = import_string(PROVIDERS[name or settings.MAILLAGE_SMS_PROVIDER])()
    return provider
