"""Development providers: print each text, or append it to a JSON-lines file. Their callbacks
take a plain form (`from`, `text`; `id`, `status`) guarded by MAILLAGE_SMS_CALLBACK_TOKEN, so
a developer (or the browser test) can play the phone that replies."""

from __future__ import annotations

import hmac
import json
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from maillage.messaging.providers import Inbound, Receipt


class ConsoleProvider:
    name = "console"

    def send(self, *, to: str, text: str, reference: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        sys.stdout.write(f"SMS to {to} [{provider_id}]\n{text}\n---\n")
        return provider_id

    def verify(self, request: HttpRequest) -> bool:
        token = request.GET.get("token", "")
        expected = settings.MAILLAGE_SMS_CALLBACK_TOKEN
        return bool(expected) and hmac.compare_digest(token, expected)

    def receipts(self, request: HttpRequest) -> list[Receipt]:
        status = request.POST.get("status", "")
        return [
            Receipt(
                provider_id=request.POST.get("id", ""),
                delivered={"delivered": True, "failed": False}.get(status),
                error=request.POST.get("error", ""),
            )
        ]

    def inbound(self, request: HttpRequest) -> list[Inbound]:
        return [Inbound(sender=request.POST.get("from", ""), text=request.POST.get("text", ""))]


class FileProvider(ConsoleProvider):
    name = "file"

    def send(self, *, to: str, text: str, reference: str) -> str:
        provider_id = f"file-{uuid.uuid4().hex[:12]}"
        path = Path(settings.MAILLAGE_SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"id": provider_id, "to": to, "text": text, "at": timezone.now().isoformat()}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return provider_id
