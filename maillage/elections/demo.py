"""Demo data: the real 2024 legislative results (both rounds) and the Finistère bureaux, so the
close-races page has something true to show. Idempotent: skipped when the election exists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TextIO

from maillage.elections.models import Election
from maillage.elections.services import results_import

# The official files shipped as test fixtures (Licence Ouverte, see fixtures/ATTRIBUTION.md).
FIXTURES = Path(__file__).parent / "tests" / "fixtures"
LG2024_T1 = FIXTURES / "Leg_2024_Resultats_T1_officiel.xlsx"
LG2024_T2 = FIXTURES / "Leg_2024_Resultats_T2_officiel.xlsx"
BUREAUX_T1 = FIXTURES / "circos23-tour1.csv"
BUREAUX_T2 = FIXTURES / "circos23-tour2.csv"

DEMO_SLUG = "legislatives-2024"


def load_demo(*, stdout: TextIO, small: bool) -> None:
    if Election.objects.filter(slug=DEMO_SLUG).exists():
        stdout.write(f"Élections : « {DEMO_SLUG} » déjà chargée.\n")
        return
    files = [LG2024_T1, LG2024_T2] if small else [LG2024_T1, LG2024_T2, BUREAUX_T1, BUREAUX_T2]
    for path in files:
        report = results_import(
            path=path, election_slug=DEMO_SLUG, election_date=dt.date(2024, 6, 30)
        )
        stdout.write(
            f"Élections : {path.name} → tour {', '.join(map(str, report.rounds))}, {report.area_count} zones.\n"
        )
