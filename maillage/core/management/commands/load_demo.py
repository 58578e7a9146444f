"""Load the demo campaign: each app's own demo data (`<app>/demo.py`), in INSTALLED_APPS order.

Accounts comes first (one login per role), so later apps find the teams and users they need.

Idempotent: running it twice changes nothing the second time.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo campaign (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--small", action="store_true", help="A smaller campaign, for tests.")

    def handle(self, *args: Any, **options: Any) -> None:
        for config in apps.get_app_configs():
            if not config.name.startswith("maillage."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            loader = getattr(module, "load_demo", None)
            if loader is not None:
                loader(stdout=self.stdout, small=options["small"])
        self.stdout.write(self.style.SUCCESS("Demo campaign ready."))
