"""The error a file that cannot be read raises, and the checks of its header line."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read (format, encoding, no header)."""


def _binary_message(sample: bytes) -> str:
    """Null bytes: UTF-16 without its byte-order mark (a zero every other byte), or not text."""
    head = sample[:4096]
    even, odd = head[0::2], head[1::2]
    zeros = sorted((even.count(0) / max(len(even), 1), odd.count(0) / max(len(odd), 1)))
    if zeros[1] > 0.5 and zeros[0] < 0.1:  # Latin text in UTF-16: one byte of two is zero
        return _(
            "Ce fichier semble être en UTF-16 sans marque d'ordre des octets (BOM) : "
            "enregistrez-le en UTF-8, ou en UTF-16 avec BOM (« Texte Unicode » d'Excel)."
        )
    return _(
        "Ce fichier n'est ni un CSV ni un classeur XLSX (contenu binaire) ; un CSV est attendu "
        "en UTF-8, CP1252, ISO-8859-1, CP850, ou en UTF-16 avec BOM."
    )


def _check_columns(count: int) -> None:
    limit = int(settings.MAILLAGE_IMPORT_MAX_COLUMNS)
    if count > limit:
        raise ImportFileError(
            _("Le fichier a %(count)s colonnes, %(limit)s au plus.")
            % {"count": count, "limit": limit}
        )


def _printable(text: str) -> bool:
    return all(char.isprintable() for char in text)
