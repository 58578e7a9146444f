"""A local HTTP server on 127.0.0.1 that speaks addok-csv's `/search/csv/` as the BAN runs it.

It parses the multipart form (`data` CSV file, repeated `columns`, `citycode`/`postcode`
filters naming a column), searches each row's text (the named columns joined by a space) in a
small table of known addresses, and answers the CSV it received with addok-csv's result
columns appended (`latitude`, `longitude`, `result_label`, `result_score`, `result_score_next`,
`result_type`, `result_id`, `result_housenumber`, and the BAN's extra fields `result_citycode`,
`result_postcode`, `result_city`, `result_status`), empty for rows without a match, encoded
`utf-8-sig` like addok-csv's default. Modes make it fail the way real services do.
"""

from __future__ import annotations

import csv
import email.parser
import email.policy
import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from maillage.core.tests.local_http import serving

HEADERS = [
    "latitude",
    "longitude",
    "result_label",
    "result_score",
    "result_score_next",
    "result_type",
    "result_id",
    "result_housenumber",
    "result_citycode",
    "result_postcode",
    "result_city",
    "result_status",
]

# Searched text (folded: lower case, spaces squeezed) → (lat, lon, label, score, citycode).
KNOWN = {
    "3 rue du port vallon-sur-mer": (
        43.2965,
        5.3698,
        "3 Rue du Port 13999 Vallon-sur-Mer",
        0.97,
        "13999",
    ),
    "12 avenue des lilas vallon-sur-mer": (
        43.3012,
        5.3801,
        "12 Avenue des Lilas 13999 Vallon-sur-Mer",
        0.91,
        "13999",
    ),
    "1 place vague vallon-sur-mer": (
        43.29,
        5.37,
        "Place Vague 13999 Vallon-sur-Mer",
        0.31,
        "13999",
    ),
}


@dataclass
class AddokState:
    """What the server does next, and what it saw. `fail_next`: that many 503 answers first;
    `modes`: the modes of the next requests, one each, before `mode` again; `mode`: "ok", "malformed" (an HTML page with status 200), "missing_row" (drops a row),
    "slow" (waits `delay` seconds before answering), "bad_request" (400)."""

    mode: str = "ok"
    modes: list[str] = field(default_factory=list)
    fail_next: int = 0
    delay: float = 0.0
    requests: list[dict[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def _form(content_type: str, body: bytes) -> tuple[dict[str, list[str]], bytes | None]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    params: dict[str, list[str]] = {}
    data = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if name == "data" and data is None:
            data = payload
        else:
            params.setdefault(str(name), []).append(payload.decode())
    return params, data


def _answer(params: dict[str, list[str]], data: bytes, mode: str) -> bytes:
    text = data.decode("utf-8-sig").replace("\r", "").replace("\n", "\r\n")
    delimiter = (params.get("delimiter") or [","])[0]
    rows = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    fieldnames = list(rows.fieldnames or [])
    columns = params.get("columns") or fieldnames
    for column in columns:
        if column not in fieldnames:
            raise ValueError(f"Cannot found column '{column}' in columns {fieldnames}")
    filters = {key: params[key][0] for key in ("citycode", "postcode") if key in params}
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        fieldnames + [h for h in HEADERS if h not in fieldnames],
        delimiter=delimiter,
        extrasaction="ignore",
        lineterminator="\r\n",
    )
    writer.writeheader()
    for index, row in enumerate(rows):
        if mode == "missing_row" and index == 0:
            continue
        query = _fold(" ".join(row[c] or "" for c in columns))
        found = KNOWN.get(query)
        wanted_city = row.get(filters["citycode"], "") if "citycode" in filters else ""
        if found and wanted_city and found[4] != wanted_city:
            found = None
        if found and found[3] > 0.5:  # addok-csv's default CSV_MIN_SCORE
            lat, lon, label, score, citycode = found
            row.update(
                latitude=str(lat),
                longitude=str(lon),
                result_label=label,
                result_score=str(score),
                result_score_next="0",
                result_type="housenumber",
                result_id=f"{citycode}_0001_00003",
                result_housenumber=label.split()[0],
                result_citycode=citycode,
                result_postcode="13999",
                result_city="Vallon-sur-Mer",
                result_status="ok",
            )
        else:
            row.update(result_status="not-found")
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def _handler(state: AddokState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") != "/search/csv":
                self._send(404, b'{"code": 404, "message": "Not found"}', "application/json")
                return
            params, data = _form(self.headers.get("Content-Type", ""), body)
            with state.lock:
                state.requests.append({"params": params, "data": data})
                failing = state.fail_next > 0
                if failing:
                    state.fail_next -= 1
                mode = state.modes.pop(0) if state.modes and not failing else state.mode
            if failing:
                self._send(503, b"<html>Service Unavailable</html>", "text/html")
                return
            if mode == "slow":
                time.sleep(state.delay)
            if mode == "malformed":
                self._send(200, b"<html><body>maintenance</body></html>", "text/html")
                return
            if mode == "bad_request" or not data:
                self._send(400, b'{"title": "Missing file"}', "application/json")
                return
            try:
                answer = _answer(params, data, mode)
            except ValueError as error:
                self._send(400, str(error).encode(), "application/json")
                return
            self._send(200, answer, "text/csv; charset=utf-8-sig")

    return Handler


@contextmanager
def addok_server() -> Iterator[tuple[str, AddokState]]:
    """(`http://127.0.0.1:<free port>/search/csv/`, its state), for the time of the block."""
    state = AddokState()
    with serving(_handler(state)) as port:
        yield f"http://127.0.0.1:{port}/search/csv/", state
