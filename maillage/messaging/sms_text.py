"""SMS length and cost: GSM 03.38 7-bit or UCS-2, segments, and what a blast will cost.

A message is GSM-7 when every character is in the basic table or its extension (`é` is in the
basic table, `ê` is not); extension characters (`€ [ ] { } ~ ^ | \\` and form feed) take two
septets. One segment holds 160 septets (70 UCS-2 units); a longer message is split into
segments of 153 (67), the rest carrying the concatenation header. UCS-2 counts UTF-16 units,
so an emoji outside the basic plane takes two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7, extension chars count 2) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # the capacity that applied: 160/153 or 70/67

    @property
    def remaining(self) -> int:
        """Units left before one more segment."""
        return self.per_segment * max(self.segments, 1) - self.units


def sms_length(text: str) -> SmsLength:
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single)
    return SmsLength(encoding, units, math.ceil(units / multi), multi)


@dataclass(frozen=True)
class SmsEstimate:
    length: SmsLength
    recipients: int
    segments_total: int
    cost: Decimal


def sms_estimate(*, text: str, recipients: int, price_per_segment: Decimal) -> SmsEstimate:
    """Segments × recipients and the cost at the configured price per segment. `text` is the
    message with its fields filled by the longest likely values (see `sms_estimate_text`)."""
    length = sms_length(text)
    total = length.segments * recipients
    return SmsEstimate(
        length, recipients, total, (price_per_segment * total).quantize(Decimal("0.01"))
    )
