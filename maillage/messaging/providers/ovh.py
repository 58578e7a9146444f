"""OVHcloud SMS (a French provider), through its REST API.

Send: `POST {endpoint}/sms/{service}/jobs` with a JSON body, signed as OVH documents:
`X-Ovh-Signature: "$1$" + sha1(AS + "+" + CK + "+" + METHOD + "+" + URL + "+" + BODY + "+" + TS)`,
with `X-Ovh-Application`, `X-Ovh-Consumer`, `X-Ovh-Timestamp`. The answer lists `ids` and
`invalidReceivers`. Delivery receipts come to the job's `callBack` URL as a GET with `id`,
`dlr` (1 delivered, 2 not delivered, 4 buffered, 8 at the carrier, 16 rejected) and
`description`; replies ("senderForResponse") come as a GET with `sender` and `message`. OVH
does not sign callbacks: ours carry MAILLAGE_SMS_CALLBACK_TOKEN in their query string.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from maillage.messaging.providers import Inbound, Receipt, SmsError

DLR_DELIVERED = {"1": True, "2": False, "16": False}


class OvhProvider:
    name = "ovh"

    def __init__(self) -> None:
        self.endpoint = settings.MAILLAGE_OVH_ENDPOINT.rstrip("/")
        self.application_key = settings.MAILLAGE_OVH_APPLICATION_KEY
        self.application_secret = settings.MAILLAGE_OVH_APPLICATION_SECRET
        self.consumer_key = settings.MAILLAGE_OVH_CONSUMER_KEY
        self.service = settings.MAILLAGE_OVH_SERVICE
        self.sender = settings.MAILLAGE_SMS_SENDER

    def _signature(self, method: str, url: str, body: str, timestamp: str) -> str:
        raw = "+".join([self.application_secret, self.consumer_key, method, url, body, timestamp])
        return "$1$" + hashlib.sha1(raw.encode()).hexdigest()  # noqa: S324 - OVH's scheme

    def send(self, *, to: str, text: str, reference: str) -> str:
        url = f"{self.endpoint}/sms/{self.service}/jobs"
        callback = settings.SITE_URL + reverse("messaging:sms_receipt", args=["ovh"])
        body = json.dumps(
            {
                "charset": "UTF-8",
                "class": "phoneDisplay",
                "coding": "7bit",
                "message": text,
                "noStopClause": False,
                "priority": "high",
                "receivers": [to],
                "sender": self.sender,
                "senderForResponse": not self.sender,
                "tag": reference[:128],
                "callBack": f"{callback}?token={settings.MAILLAGE_SMS_CALLBACK_TOKEN}",
            }
        )
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Ovh-Application": self.application_key,
            "X-Ovh-Consumer": self.consumer_key,
            "X-Ovh-Timestamp": timestamp,
            "X-Ovh-Signature": self._signature("POST", url, body, timestamp),
        }
        try:
            response = requests.post(url, data=body.encode(), headers=headers, timeout=15)
        except requests.RequestException as exc:
            raise SmsError(f"ovh: {exc}", transient=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsError(f"ovh {response.status_code}: {response.text[:200]}", transient=True)
        if response.status_code >= 400:
            message = _message_of(response)
            raise SmsError(f"ovh {response.status_code}: {message}", transient=False)
        data = response.json()
        if data.get("invalidReceivers"):
            raise SmsError(f"ovh: invalid receiver {to}", transient=False)
        ids = data.get("ids") or []
        if not ids:
            raise SmsError("ovh: no message id in the answer", transient=True)
        return str(ids[0])

    def verify(self, request: HttpRequest) -> bool:
        expected = settings.MAILLAGE_SMS_CALLBACK_TOKEN
        return bool(expected) and hmac.compare_digest(request.GET.get("token", ""), expected)

    def receipts(self, request: HttpRequest) -> list[Receipt]:
        dlr = request.GET.get("dlr", "")
        return [
            Receipt(
                provider_id=request.GET.get("id", ""),
                delivered=DLR_DELIVERED.get(dlr),
                error="" if dlr in ("1", "4", "8") else request.GET.get("description", dlr),
            )
        ]

    def inbound(self, request: HttpRequest) -> list[Inbound]:
        return [
            Inbound(
                sender=request.GET.get("sender", ""),
                text=request.GET.get("message", ""),
                provider_id=request.GET.get("id", ""),
            )
        ]


def _message_of(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:300]
    except ValueError:
        return response.text[:300]
