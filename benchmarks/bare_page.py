"""The bare Django page of the load benchmark: 50 rows rendered from a template through the
same server, middleware and template engine, with no query and no login.

Mounted at /bench/bare/ only when the setting MAILLAGE_BENCH_PAGE is on, which only the load
benchmark sets (benchmarks/bench_pages.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines

TEMPLATE = engines["django"].from_string(
    """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><table>
{% for row in rows %}<tr><td><a href="/people/{{ row.pk }}/">{{ row.name }} {{ row.first_names }}</a></td><td>{{ row.age }}</td><td>{{ row.address }}</td><td>{{ row.station }}</td></tr>
{% endfor %}</table></body></html>"""
)
ROWS = [
    {
        "pk": n,
        "name": f"NOM{n}",
        "first_names": "Camille",
        "age": 20 + n,
        "address": f"{n} rue de la République, Marseille",
        "station": "13055_0001",
    }
    for n in range(50)
]


def bare_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(TEMPLATE.render({"title": "Bare", "rows": ROWS}, request))
