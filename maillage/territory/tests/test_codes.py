"""The one code normaliser, on every form official files use."""

from __future__ import annotations

from decimal import Decimal

import pytest

from maillage.territory.codes import (
    CodeError,
    commune_department,
    normalize_commune,
    normalize_constituency,
    normalize_department,
    normalize_polling_station,
    polling_station_code,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01", "01"),
        ("1", "01"),
        (1, "01"),
        (1.0, "01"),
        (Decimal("1"), "01"),
        (" 7 ", "07"),
        ("001", "01"),
        ("75", "75"),
        ("075", "75"),
        ("95", "95"),
        ("19", "19"),
        ("21", "21"),
        ("2A", "2A"),
        ("2a", "2A"),
        ("2B", "2B"),
        ("02A", "2A"),
        ("02B", "2B"),
        ("971", "971"),
        ("972", "972"),
        ("973", "973"),
        ("974", "974"),
        ("975", "975"),
        ("976", "976"),
        ("977", "977"),
        ("978", "978"),
        ("986", "986"),
        ("987", "987"),
        ("988", "988"),
        (971, "971"),
        ("ZA", "971"),
        ("ZB", "972"),
        ("ZC", "973"),
        ("ZD", "974"),
        ("ZS", "975"),
        ("ZM", "976"),
        ("ZW", "986"),
        ("ZP", "987"),
        ("ZN", "988"),
        ("za", "971"),
        ("ZX", "ZX"),
        ("ZZ", "ZZ"),
        ("99", "ZZ"),
        ("099", "ZZ"),
    ],
)
def test_it_normalises_department_codes(raw: object, expected: str) -> None:
    assert normalize_department(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "0",
        "00",
        "20",
        "96",
        "970",
        "979",
        "985",
        "989",
        "2C",
        "ZY",
        "ZE",
        "A1",
        "123",
        1.5,
        True,
        "01A",
    ],
)
def test_it_rejects_department_codes_that_do_not_exist(raw: object) -> None:
    with pytest.raises(CodeError):
        normalize_department(raw)


def test_it_says_why_20_is_refused() -> None:
    with pytest.raises(CodeError, match="2A ou 2B"):
        normalize_department("20")


@pytest.mark.parametrize(
    ("raw", "department", "expected"),
    [
        # 2017/2022: the number within the department.
        ("01", "01", "0101"),
        ("1", "1", "0101"),
        (1, 1, "0101"),
        ("03", "07", "0703"),
        ("04", "45", "4504"),
        ("01", "2A", "2A01"),
        ("02", "2B", "2B02"),
        ("01", "ZA", "97101"),
        ("01", "ZW", "98601"),
        ("01", "ZS", "97501"),
        ("01", "ZX", "ZX01"),
        ("04", "ZZ", "ZZ04"),
        ("11", "ZZ", "ZZ11"),
        ("21", "59", "5921"),
        # 2024: the full code, as text or as a number.
        ("0101", None, "0101"),
        ("0703", None, "0703"),
        ("2A01", None, "2A01"),
        ("2b02", None, "2B02"),
        ("ZZ04", None, "ZZ04"),
        ("ZX01", None, "ZX01"),
        ("97101", None, "97101"),
        ("98801", None, "98801"),
        (101, None, "0101"),
        ("101", None, "0101"),
        (101.0, None, "0101"),
        (97101, None, "97101"),
        (9103, None, "9103"),
        ("0101", "01", "0101"),
        (101, 1, "0101"),
        ("97101", "971", "97101"),
        ("97101", "ZA", "97101"),
        # 2017 letter codes once joined; and the XML-derived CSV's truncated overseas department.
        ("ZA01", None, "97101"),
        ("ZW01", None, "98601"),
        ("97101", "97", "97101"),
        ("98801", "98", "98801"),
    ],
)
def test_it_normalises_constituency_codes(raw: object, department: object, expected: str) -> None:
    assert normalize_constituency(raw, department) == expected


@pytest.mark.parametrize(
    ("raw", "department"),
    [
        ("01", None),
        ("", "01"),
        ("00", "01"),
        ("0100", None),
        ("0201", "01"),
        ("12345", None),
        ("97901", None),
        ("2C01", None),
        ("X1", None),
        ("97101", "972"),
        ("01", "20"),
    ],
)
def test_it_rejects_constituency_codes_it_cannot_place(raw: object, department: object) -> None:
    with pytest.raises(CodeError):
        normalize_constituency(raw, department)


@pytest.mark.parametrize(
    ("raw", "department", "expected"),
    [
        ("29011", None, "29011"),
        (29011, None, "29011"),
        ("1001", None, "01001"),
        (1001, None, "01001"),
        ("2A004", None, "2A004"),
        ("97101", None, "97101"),
        ("056", "75", "75056"),
        ("56", "75", "75056"),
        ("123", "69", "69123"),
        ("055", "13", "13055"),
        ("101", "971", "97101"),
        ("101", "ZA", "97101"),
        ("004", "2A", "2A004"),
        ("056AR01", "75", "75101"),
        ("056AR20", "75", "75120"),
        ("123AR05", "69", "69385"),
        ("055AR16", "13", "13216"),
        ("055SR01", "13", "13055SR01"),
        ("055SR8", "13", "13055SR08"),
    ],
)
def test_it_normalises_commune_codes(raw: object, department: object, expected: str) -> None:
    assert normalize_commune(raw, department) == expected


@pytest.mark.parametrize(
    ("raw", "department"),
    [
        ("", "75"),
        ("abc", "75"),
        ("001AR01", "75"),
        ("001SR01", "13"),
        ("056", "ZZ"),
        ("2C004", None),
        ("123456", None),
    ],
)
def test_it_rejects_commune_codes(raw: object, department: object) -> None:
    with pytest.raises(CodeError):
        normalize_commune(raw, department)


@pytest.mark.parametrize(
    ("code", "department"), [("29011", "29"), ("2A004", "2A"), ("97101", "971"), ("98818", "988")]
)
def test_it_finds_the_department_of_a_commune(code: str, department: str) -> None:
    assert commune_department(code) == department


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", "0001"), (1, "0001"), ("0001", "0001"), ("12", "0012"), ("a1", "A1"), (" 7 ", "0007")],
)
def test_it_pads_polling_station_codes(raw: object, expected: str) -> None:
    assert normalize_polling_station(raw) == expected


def test_it_builds_polling_station_keys_and_refuses_junk() -> None:
    assert polling_station_code("29011", 1) == "29011_0001"
    for junk in ("", "12345", "a b", "é"):
        with pytest.raises(CodeError):
            normalize_polling_station(junk)
