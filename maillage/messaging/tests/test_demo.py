"""The demo's messaging: the nurses' email ready, the mobilisation sent with answers in."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from maillage.messaging.models import Campaign, InboundMessage
from maillage.messaging.selectors import mobilisation_count


@pytest.mark.django_db
def test_the_demo_has_an_email_and_a_mobilisation_and_is_idempotent(
    settings, tmp_path: Path
) -> None:
    settings.MAILLAGE_SMS_PROVIDER = "file"
    settings.MAILLAGE_SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.MAILLAGE_UPLOAD_DIR = str(tmp_path / "uploads")
    out = io.StringIO()
    call_command("load_demo", "--small", stdout=out)
    email = Campaign.objects.get(channel="email")
    mobilisation = Campaign.objects.get(is_mobilisation=True)
    assert email.status == "draft"
    assert mobilisation.status == "sent"
    count = mobilisation_count(campaign=mobilisation)
    assert count.sent > 5
    assert (count.yes, count.no) == (3, 1)
    assert InboundMessage.objects.filter(kind="other").count() == 1
    assert len((tmp_path / "sms.jsonl").read_text().splitlines()) == count.sent
    call_command("load_demo", "--small", stdout=io.StringIO())
    assert Campaign.objects.count() == 2
