"""A local HTTP server on 127.0.0.1 that speaks Akismet's REST API 1.1 as documented
(https://akismet.com/developers/): `comment-check`, `submit-spam` and `submit-ham`, each a
form-encoded POST.

The key travels in the path here (`/<key>/1.1/<method>`, standing for Akismet's
`https://<key>.rest.akismet.com/1.1/<method>`) and in the `api_key` field; a wrong or missing
key is answered `invalid` with an `X-akismet-debug-help` header, a missing required field
with Akismet's "Missing required field" text, as Akismet does. `comment-check` answers by the
state's `mode`: "ham" (`false`), "spam" (`true`), "discard" (`true` with
`X-akismet-pro-tip: discard`), "error" (a 500 page), "slow" (waits `delay` seconds, then
`false`), "garbage" (an HTML page with status 200). Every request is kept, fields parsed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from maillage.core.tests.local_http import serving

KEY = "abc123def456"
THANKS = b"Thanks for making the web a better place."
REQUIRED = {
    "comment-check": ("blog", "user_ip"),
    "submit-spam": ("blog", "user_ip"),
    "submit-ham": ("blog", "user_ip"),
}


@dataclass
class AkismetState:
    mode: str = "ham"
    delay: float = 0.0
    requests: list[dict[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, method: str) -> list[dict[str, str]]:
        """The fields of each call of one method, in order."""
        with self.lock:
            return [
                dict(r["fields"])  # type: ignore[call-overload]
                for r in self.requests
                if r["method"] == method
            ]


def _handler(state: AkismetState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = self.path.strip("/").split("/")
            method = parts[-1] if parts else ""
            content_type = self.headers.get("Content-Type", "")
            fields = {
                name: values[0]
                for name, values in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()
            }
            with state.lock:
                state.requests.append(
                    {
                        "path": self.path,
                        "method": method,
                        "content_type": content_type,
                        "user_agent": self.headers.get("User-Agent", ""),
                        "fields": fields,
                    }
                )
                mode = state.mode
            if not content_type.startswith("application/x-www-form-urlencoded"):
                self._send(400, b"Bad request")
                return
            if parts[:2] != [KEY, "1.1"] or fields.get("api_key") != KEY:
                self._send(
                    200,
                    b"invalid",
                    {"X-akismet-debug-help": "We were unable to parse your blog URI"},
                )
                return
            if method not in REQUIRED:
                self._send(404, b"Not found")
                return
            for name in REQUIRED[method]:
                if not fields.get(name):
                    self._send(
                        200,
                        f"Missing required field: {name}.".encode(),
                        {"X-akismet-alert-code": "10001"},
                    )
                    return
            if method != "comment-check":
                self._send(200, THANKS)
                return
            if mode == "slow":
                time.sleep(state.delay)
                self._send(200, b"false")
            elif mode == "error":
                self._send(500, b"<html><body>Internal Server Error</body></html>")
            elif mode == "garbage":
                self._send(200, b"<html><body>maintenance</body></html>")
            elif mode == "discard":
                self._send(200, b"true", {"X-akismet-pro-tip": "discard"})
            elif mode == "spam":
                self._send(200, b"true")
            else:
                self._send(200, b"false")

    return Handler


@contextmanager
def akismet_server() -> Iterator[tuple[str, AkismetState]]:
    """(`http://127.0.0.1:<free port>/{key}/1.1/`, its state), for the time of the block."""
    state = AkismetState()
    with serving(_handler(state)) as port:
        yield f"http://127.0.0.1:{port}/{{key}}/1.1/", state
