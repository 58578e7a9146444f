"""The geocoder client against a local server speaking addok-csv's CSV batch search."""

from __future__ import annotations

import csv
import io

import pytest

from maillage.territory.geocoding import AddressQuery, GeocoderError, geocode_batch
from maillage.territory.tests.addok_server import addok_server

PORT = AddressQuery("3 rue du Port", postcode="13999", citycode="13999", city="Vallon-sur-Mer")
LILAS = AddressQuery(
    "12 avenue des Lilas", postcode="13999", citycode="13999", city="Vallon-sur-Mer"
)
NOWHERE = AddressQuery("99 impasse Inconnue", postcode="13999", citycode="13999", city="Vallon")
VAGUE = AddressQuery("1 place Vague", postcode="13999", citycode="13999", city="Vallon-sur-Mer")


def _no_sleep(seconds: float) -> None:
    pass


def test_a_batch_comes_back_in_order_with_coordinates_and_scores() -> None:
    with addok_server() as (url, state):
        results = geocode_batch([PORT, NOWHERE, LILAS, VAGUE], url=url, timeout=5)
    assert [r.found for r in results] == [True, False, True, False]
    assert (results[0].latitude, results[0].longitude, results[0].score) == (43.2965, 5.3698, 0.97)
    assert results[0].label == "3 Rue du Port 13999 Vallon-sur-Mer"
    assert (results[2].result_type, results[2].citycode) == ("housenumber", "13999")
    # What the service received: the multipart form addok-csv reads.
    (request,) = state.requests
    params = request["params"]
    assert params["columns"] == ["address", "city"]  # type: ignore[index]
    assert params["citycode"] == ["citycode"]  # type: ignore[index]
    text = request["data"].decode("utf-8")  # type: ignore[union-attr]
    assert text.startswith("\ufeff") and params["delimiter"] == [";"]  # type: ignore[index]
    sent = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert [row["address"] for row in sent] == [
        "3 rue du Port",
        "99 impasse Inconnue",
        "12 avenue des Lilas",
        "1 place Vague",
    ]


def test_a_match_under_the_minimum_score_is_not_trusted() -> None:
    with addok_server() as (url, _state):
        (result,) = geocode_batch([LILAS], url=url, timeout=5, min_score=0.95)
    assert not result.found and result.score == 0.91


def test_without_a_citycode_for_every_address_the_postcode_filters() -> None:
    loose = AddressQuery("3 rue du Port", postcode="13999", city="Vallon-sur-Mer")
    with addok_server() as (url, state):
        (result,) = geocode_batch([loose], url=url, timeout=5)
    assert result.found
    params = state.requests[0]["params"]
    assert "citycode" not in params and params["postcode"] == ["postcode"]  # type: ignore[index,operator]


def test_a_5xx_is_retried_then_the_batch_succeeds() -> None:
    pauses: list[float] = []
    with addok_server() as (url, state):
        state.fail_next = 2
        results = geocode_batch([PORT], url=url, timeout=5, retry_seconds=1, sleep=pauses.append)
    assert results[0].found
    assert len(state.requests) == 3 and pauses == [1, 2]


def test_a_service_down_for_every_try_is_a_transient_error() -> None:
    with addok_server() as (url, state):
        state.fail_next = 10
        with pytest.raises(GeocoderError) as raised:
            geocode_batch([PORT], url=url, timeout=5, tries=3, sleep=_no_sleep)
    assert raised.value.transient and len(state.requests) == 3
    assert "503" in raised.value.message


def test_a_malformed_answer_is_a_permanent_error_without_retry() -> None:
    with addok_server() as (url, state):
        state.mode = "malformed"
        with pytest.raises(GeocoderError) as raised:
            geocode_batch([PORT], url=url, timeout=5, sleep=_no_sleep)
    assert not raised.value.transient and len(state.requests) == 1
    assert "illisible" in raised.value.message


def test_an_answer_missing_a_row_is_refused_whole() -> None:
    with addok_server() as (url, state):
        state.mode = "missing_row"
        with pytest.raises(GeocoderError) as raised:
            geocode_batch([PORT, LILAS], url=url, timeout=5, sleep=_no_sleep)
    assert not raised.value.transient
    assert "1 adresse(s) sans réponse" in raised.value.message


def test_an_address_that_looks_like_a_formula_goes_through_the_one_csv_writer() -> None:
    hostile = AddressQuery("=HYPERLINK(1)", postcode="13999", citycode="13999", city="Vallon")
    with addok_server() as (url, state):
        (result,) = geocode_batch([hostile], url=url, timeout=5)
    assert not result.found
    assert b"'=HYPERLINK(1)" in state.requests[0]["data"]  # type: ignore[operator]


def test_a_client_error_is_permanent() -> None:
    with addok_server() as (url, state):
        state.mode = "bad_request"
        with pytest.raises(GeocoderError) as raised:
            geocode_batch([PORT], url=url, timeout=5, sleep=_no_sleep)
    assert not raised.value.transient and "400" in raised.value.message
    assert len(state.requests) == 1


def test_a_slow_service_times_out_and_is_retried() -> None:
    with addok_server() as (url, state):
        state.mode, state.delay = "slow", 1.5
        with pytest.raises(GeocoderError) as raised:
            geocode_batch([PORT], url=url, timeout=0.3, tries=2, sleep=_no_sleep)
    assert raised.value.transient and "0.3" in raised.value.message
    assert len(state.requests) == 2


def test_a_refused_connection_is_transient() -> None:
    with addok_server() as (url, _state):
        pass  # the port is free again: nothing listens there
    with pytest.raises(GeocoderError) as raised:
        geocode_batch([PORT], url=url, timeout=2, tries=2, sleep=_no_sleep)
    assert raised.value.transient and "injoignable" in raised.value.message


def test_an_empty_batch_sends_nothing() -> None:
    assert geocode_batch([], url="http://127.0.0.1:9/", timeout=1) == []
