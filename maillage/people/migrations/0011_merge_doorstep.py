"""Merge of two leaves met when the doorstep branch merged both foundation and turfs:
foundation's consent wording default and turfs' merge of the contact attempts with places'
coordinates. No operation. If main already merges these two leaves, drop this file."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0009_consent_wording_default"),
        ("people", "0010_merge_contact_attempts_and_coordinates"),
    ]

    operations: list[migrations.operations.base.Operation] = []
