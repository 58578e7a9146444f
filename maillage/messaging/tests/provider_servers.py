"""Local HTTP servers that speak the SMS providers' documented APIs (OVH, Twilio), for the
tests and the benchmark: they check the request shape and auth, answer as the provider does,
and can fail on purpose (a 5xx once, a permanent error for a given number)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from maillage.core.tests.local_http import serving

OVH_AK, OVH_AS, OVH_CK, OVH_SERVICE = "ak-test", "as-test", "ck-test", "sms-ab12345-1"
TWILIO_SID, TWILIO_TOKEN = "AC" + "0" * 32, "twilio-token"
# Numbers that make the servers misbehave.
TRANSIENT_ONCE = "+33600000500"  # a 503 on the first try, then accepted
PERMANENT = "+33600000400"  # refused for good (invalid receiver / Twilio 21211)


class ProviderServer:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.failed_once: set[str] = set()
        self.lock = threading.Lock()
        self.url = ""


def _handler(state: ProviderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return

        def _answer(self, code: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _flaky(self, to: str) -> bool:
            with state.lock:
                if to == TRANSIENT_ONCE and to not in state.failed_once:
                    state.failed_once.add(to)
                    return True
            return False

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == f"/1.0/sms/{OVH_SERVICE}/jobs":
                self._ovh(raw)
            elif self.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
                self._twilio(raw)
            else:
                self._answer(404, {"message": "not found"})

        def _ovh(self, raw: bytes) -> None:
            # https://api.ovh.com/console/#/sms/{serviceName}/jobs~POST and the signing scheme
            h = self.headers
            url = state.url + self.path
            expected = (
                "$1$"
                + hashlib.sha1(  # noqa: S324 - OVH's scheme
                    "+".join(
                        [
                            OVH_AS,
                            h.get("X-Ovh-Consumer", ""),
                            "POST",
                            url,
                            raw.decode(),
                            h.get("X-Ovh-Timestamp", ""),
                        ]
                    ).encode()
                ).hexdigest()
            )
            if h.get("X-Ovh-Application") != OVH_AK or h.get("X-Ovh-Signature") != expected:
                state.errors.append("ovh: bad signature")
                self._answer(
                    403, {"message": "Invalid signature", "errorCode": "INVALID_SIGNATURE"}
                )
                return
            body = json.loads(raw)
            missing = {"message", "receivers", "charset", "coding"} - set(body)
            if missing or not isinstance(body["receivers"], list):
                state.errors.append(f"ovh: missing {missing}")
                self._answer(400, {"message": f"Missing {missing}"})
                return
            to = body["receivers"][0]
            if self._flaky(to):
                self._answer(503, {"message": "Service unavailable"})
                return
            if to == PERMANENT:
                self._answer(
                    200,
                    {
                        "ids": [],
                        "invalidReceivers": [to],
                        "validReceivers": [],
                        "totalCreditsRemoved": 0,
                    },
                )
                return
            with state.lock:
                state.received.append({"provider": "ovh", "to": to, "text": body["message"]})
                n = len(state.received)
            self._answer(
                200,
                {
                    "ids": [100000 + n],
                    "invalidReceivers": [],
                    "validReceivers": [to],
                    "totalCreditsRemoved": 1,
                },
            )

        def _twilio(self, raw: bytes) -> None:
            # https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
            auth = self.headers.get("Authorization", "")
            good = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
            if auth != good:
                self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            if (
                not form.get("To")
                or not form.get("Body")
                or not (form.get("From") or form.get("MessagingServiceSid"))
            ):
                self._answer(
                    400,
                    {"code": 21604, "message": "A 'To' phone number is required.", "status": 400},
                )
                return
            to = form["To"]
            if self._flaky(to):
                self._answer(429, {"code": 20429, "message": "Too Many Requests", "status": 429})
                return
            if to == PERMANENT:
                self._answer(
                    400,
                    {
                        "code": 21211,
                        "message": f"The 'To' number {to} is not a valid phone number.",
                        "status": 400,
                    },
                )
                return
            with state.lock:
                state.received.append({"provider": "twilio", "to": to, "text": form["Body"]})
                n = len(state.received)
            self._answer(
                201, {"sid": f"SM{n:032d}", "status": "queued", "to": to, "body": form["Body"]}
            )

    return Handler


@contextmanager
def provider_server() -> Iterator[ProviderServer]:
    state = ProviderServer()
    with serving(_handler(state)) as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state
