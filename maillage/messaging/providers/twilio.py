"""Twilio Programmable Messaging, through its REST API.

Send: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic auth
(AccountSid:AuthToken), form fields `To`, `From` (or `MessagingServiceSid`), `Body`,
`StatusCallback`; 201 with the message `sid`. Errors are JSON with a numeric `code`: 429 and
5xx are transient, the rest permanent (21211 invalid number, 21610 the recipient sent STOP…).
Callbacks (status: `MessageSid`, `MessageStatus`, `ErrorCode`; inbound: `From`, `Body`,
`MessageSid`) are signed: `X-Twilio-Signature` = base64(HMAC-SHA1(AuthToken, URL + each POST
parameter name and value, sorted by name)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import requests
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from maillage.messaging.providers import Inbound, Receipt, SmsError

STATUS_DELIVERED = {"delivered": True, "undelivered": False, "failed": False}


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioProvider:
    name = "twilio"

    def __init__(self) -> None:
        self.base = settings.MAILLAGE_TWILIO_BASE_URL.rstrip("/")
        self.account = settings.MAILLAGE_TWILIO_ACCOUNT_SID
        self.token = settings.MAILLAGE_TWILIO_AUTH_TOKEN
        self.sender = settings.MAILLAGE_SMS_SENDER
        self.service = settings.MAILLAGE_TWILIO_MESSAGING_SERVICE_SID

    def send(self, *, to: str, text: str, reference: str) -> str:
        url = f"{self.base}/2010-04-01/Accounts/{self.account}/Messages.json"
        data = {
            "To": to,
            "Body": text,
            "StatusCallback": settings.SITE_URL + reverse("messaging:sms_receipt", args=["twilio"]),
        }
        if self.service:
            data["MessagingServiceSid"] = self.service
        else:
            data["From"] = self.sender
        try:
            response = requests.post(url, data=data, auth=(self.account, self.token), timeout=15)
        except requests.RequestException as exc:
            raise SmsError(f"twilio: {exc}", transient=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsError(f"twilio {response.status_code}", transient=True)
        payload = _json(response)
        if response.status_code >= 400:
            raise SmsError(
                f"twilio {payload.get('code', response.status_code)}: {payload.get('message', '')}",
                transient=False,
            )
        sid = str(payload.get("sid") or "")
        if not sid:
            raise SmsError("twilio: no message sid in the answer", transient=True)
        return sid

    def verify(self, request: HttpRequest) -> bool:
        given = request.headers.get("X-Twilio-Signature", "")
        url = settings.SITE_URL + request.get_full_path()
        params = {key: request.POST.get(key, "") for key in request.POST}
        expected = twilio_signature(self.token, url, params)
        return bool(self.token) and hmac.compare_digest(given, expected)

    def receipts(self, request: HttpRequest) -> list[Receipt]:
        status = request.POST.get("MessageStatus", "")
        code = request.POST.get("ErrorCode", "")
        return [
            Receipt(
                provider_id=request.POST.get("MessageSid", ""),
                delivered=STATUS_DELIVERED.get(status),
                error=f"{status} {code}".strip() if STATUS_DELIVERED.get(status) is False else "",
            )
        ]

    def inbound(self, request: HttpRequest) -> list[Inbound]:
        return [
            Inbound(
                sender=request.POST.get("From", ""),
                text=request.POST.get("Body", ""),
                provider_id=request.POST.get("MessageSid", ""),
            )
        ]


def _json(response: requests.Response) -> dict[str, object]:
    try:
        payload = response.json()
    except ValueError:
        return {"message": response.text[:300]}
    return payload if isinstance(payload, dict) else {}
