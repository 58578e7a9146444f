"""A client of geocoders with the Base Adresse Nationale's API shape: its CSV batch search.

The BAN (`https://api-adresse.data.gouv.fr/search/csv/`) runs addok with its `addok-csv`
plugin; a campaign may run its own addok. The request is a multipart POST whose `data` part is
a CSV file, with `columns` (repeated) naming the columns that make the searched text and
optional filters (`citycode=<column>`, `postcode=<column>`) naming the column holding each
row's filter value. The answer is the same CSV with result columns appended: `latitude`,
`longitude`, `result_label`, `result_score`, `result_type`, `result_id`, and on the BAN
`result_citycode`, `result_status`…; a row without a match (or under the service's minimum
score) has them empty.

Pure: no model, no people. `geocode_batch` sends one batch and returns one result per query,
in order, or raises `GeocoderError`: `transient` after the retries of a 5xx, 429, timeout or
refused connection; permanent for a 4xx or an answer that is not the CSV we sent back with its
results (every row must come back once, with readable numbers), so a caller never writes half
an answer.
"""

from __future__ import annotations

import csv
import io
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from maillage.core.csv_export import SEPARATOR, csv_lines

# The columns of the CSV sent (the key comes back untouched and ties answers to queries).
KEY, ADDRESS, POSTCODE, CITYCODE, CITY = "maillage_key", "address", "postcode", "citycode", "city"
SENT_COLUMNS = (KEY, ADDRESS, POSTCODE, CITYCODE, CITY)
RESULT_COLUMNS = ("latitude", "longitude", "result_score")
# The largest error body kept in a message (an HTML error page says nothing past that).
_ERROR_BODY = 200


@dataclass(frozen=True)
class AddressQuery:
    """One address to place. `citycode` is the INSEE code, `city` the commune's name."""

    address: str
    postcode: str = ""
    citycode: str = ""
    city: str = ""


@dataclass(frozen=True)
class GeocodedAddress:
    """The service's best match, or `latitude is None` when it found nothing good enough."""

    latitude: float | None = None
    longitude: float | None = None
    score: float | None = None
    label: str = ""
    result_type: str = ""
    result_id: str = ""
    citycode: str = ""

    @property
    def found(self) -> bool:
        return self.latitude is not None


class GeocoderError(Exception):
    """The batch could not be geocoded. `transient`: trying later may work (the service was
    down or slow); otherwise the request or the answer is wrong and retrying will not help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


def geocode_batch(
    queries: Sequence[AddressQuery],
    *,
    url: str,
    timeout: float,
    tries: int = 4,
    retry_seconds: float = 2.0,
    min_score: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[GeocodedAddress]:
    """Geocode `queries` in one request (retried on transient errors); one result per query."""
    if not queries:
        return []
    body, content_type = _multipart(queries)
    last: GeocoderError | None = None
    for attempt in range(max(1, tries)):
        if attempt:
            sleep(retry_seconds * 2 ** (attempt - 1))
        try:
            answer = _post(url, body, content_type, timeout)
        except GeocoderError as error:
            if not error.transient:
                raise
            last = error
            continue
        return _parse(answer, len(queries), min_score)
    assert last is not None
    raise GeocoderError(
        _("Géocodeur indisponible après %(tries)s essais : %(error)s")
        % {"tries": max(1, tries), "error": last.message},
        transient=True,
    )


def _csv_text(queries: Sequence[AddressQuery]) -> bytes:
    """The file sent, through the project's one CSV writer (`;`, a BOM, formula starts
    neutralised: addok-csv reads it as `utf-8-sig` with the `delimiter` we name)."""
    rows = [
        (
            index,
            _one_line(query.address),
            _one_line(query.postcode),
            _one_line(query.citycode),
            _one_line(query.city),
        )
        for index, query in enumerate(queries)
    ]
    return "".join(csv_lines([SENT_COLUMNS, *rows])).encode("utf-8")


def _one_line(value: str) -> str:
    """Line breaks inside a cell mean nothing in an address, and some CSV readers split on them."""
    return " ".join(value.split())


def _multipart(queries: Sequence[AddressQuery]) -> tuple[bytes, str]:
    """The form addok-csv reads: `columns` twice (address, city make the searched text),
    the filters by column name when every query has a value for them, the file as `data`."""
    fields: list[tuple[str, str]] = [
        ("columns", ADDRESS),
        ("columns", CITY),
        ("delimiter", SEPARATOR),
    ]
    if all(q.citycode for q in queries):
        fields.append(("citycode", CITYCODE))
    elif all(q.postcode for q in queries):
        fields.append(("postcode", POSTCODE))
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="addresses.csv"\r\n'
        "Content-Type: text/csv; charset=utf-8\r\n\r\n".encode()
        + _csv_text(queries)
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post(url: str, body: bytes, content_type: str, timeout: float) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
        url,
        data=body,
        method="POST",
        headers={"Content-Type": content_type, "Accept": "text/csv", "User-Agent": "Maillage"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bytes(response.read())
    except urllib.error.HTTPError as error:
        detail = error.read()[:_ERROR_BODY].decode("utf-8", "replace").strip()
        message = _("le géocodeur a répondu %(status)s %(detail)s") % {
            "status": error.code,
            "detail": detail,
        }
        raise GeocoderError(
            message.strip(), transient=error.code >= 500 or error.code == 429
        ) from None
    except TimeoutError:
        raise GeocoderError(
            _("pas de réponse du géocodeur en %(seconds)s s") % {"seconds": timeout},
            transient=True,
        ) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise GeocoderError(
                _("pas de réponse du géocodeur en %(seconds)s s") % {"seconds": timeout},
                transient=True,
            ) from None
        raise GeocoderError(
            _("géocodeur injoignable : %(reason)s") % {"reason": error.reason}, transient=True
        ) from None
    except (ConnectionError, OSError) as error:  # reset while reading the answer
        raise GeocoderError(
            _("géocodeur injoignable : %(reason)s") % {"reason": error}, transient=True
        ) from None


def _invalid(reason: str) -> GeocoderError:
    return GeocoderError(
        _("réponse du géocodeur illisible : %(reason)s") % {"reason": reason}, transient=False
    )


def _parse(answer: bytes, count: int, min_score: float) -> list[GeocodedAddress]:
    try:
        text = answer.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(_("pas en UTF-8")) from None
    # addok-csv answers in the dialect it was sent.
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=SEPARATOR)
    header = reader.fieldnames or []
    missing = [c for c in (KEY, *RESULT_COLUMNS) if c not in header]
    if missing:
        raise _invalid(_("colonnes absentes : %(columns)s") % {"columns": ", ".join(missing)})
    results: list[GeocodedAddress | None] = [None] * count
    try:
        for row in reader:
            index = int(row[KEY])
            if not 0 <= index < count or results[index] is not None:
                raise _invalid(_("ligne inattendue : %(key)s") % {"key": row[KEY]})
            results[index] = _result(row, min_score)
    except (ValueError, TypeError, csv.Error) as error:
        raise _invalid(str(error)) from None
    absent = sum(1 for r in results if r is None)
    if absent:
        raise _invalid(_("%(count)s adresse(s) sans réponse") % {"count": absent})
    return [r for r in results if r is not None]


def _result(row: dict[str, str | None], min_score: float) -> GeocodedAddress:
    latitude, longitude = (row.get("latitude") or "").strip(), (row.get("longitude") or "").strip()
    if not latitude or not longitude:
        return GeocodedAddress()
    lat, lon = float(latitude), float(longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(_("coordonnées impossibles : %(lat)s, %(lon)s") % {"lat": lat, "lon": lon})
    score_text = (row.get("result_score") or "").strip()
    score = float(score_text) if score_text else None
    if score is not None and not 0 <= score <= 1:
        raise ValueError(_("score impossible : %(score)s") % {"score": score_text})
    if score is not None and score < min_score:
        return GeocodedAddress(score=score)
    return GeocodedAddress(
        latitude=lat,
        longitude=lon,
        score=score,
        label=row.get("result_label") or "",
        result_type=row.get("result_type") or "",
        result_id=row.get("result_id") or "",
        citycode=row.get("result_citycode") or "",
    )
