"""Column lengths read from the models, so that no `[:255]` copies a `max_length` by hand."""

from __future__ import annotations

from django.db import models


def max_length(model: type[models.Model], name: str) -> int:
    """The length of a text column, read from its model field (never repeated by hand)."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    assert length is not None, f"{model.__name__}.{name} has no max_length"
    return int(length)
