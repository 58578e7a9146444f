"""Keep the elections tests fast: each official file is parsed once per test run.

Several test classes import the same 2024 workbooks; reading them (openpyxl) is most of an
import's cost. The import service's `open_results` is wrapped so that the second import of an
unchanged file reuses fresh copies of the first parse. The parser itself is tested on every file
in test_importers.py, which calls it directly, uncached.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from maillage.elections import services
from maillage.elections.importers import open_results

_cache: dict[tuple[Any, ...], tuple[Any, list[Any]]] = {}


def _cached_open_results(path: Path, **kwargs: Any) -> tuple[Any, Iterator[Any]]:
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, tuple(sorted(kwargs.items())))
    if key not in _cache:
        info, stream = open_results(path, **kwargs)
        _cache[key] = (info, list(stream))  # errors are raised here, never cached
    info, areas = _cache[key]
    return copy.copy(info), iter(copy.deepcopy(areas))


@pytest.fixture(autouse=True, scope="session")
def _parse_each_file_once() -> Iterator[None]:
    original = services.open_results
    services.open_results = _cached_open_results  # type: ignore[assignment]
    yield
    services.open_results = original
