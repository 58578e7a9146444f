"""Reading a reply: opt-out keywords (French and English) and yes/no answers, whatever the
case, the accents or the punctuation around them."""

from __future__ import annotations

import re
import unicodedata

OPT_OUT = frozenset({"STOP", "STOP SMS", "ARRET", "DESABONNER", "DESINSCRIPTION", "UNSUBSCRIBE"})
# A reply that starts with one of these words is an opt-out too ("Stop merci", "arrêt svp").
OPT_OUT_FIRST_WORDS = frozenset({"STOP", "ARRET", "DESABONNER", "DESINSCRIPTION", "UNSUBSCRIBE"})
YES = frozenset({"OUI", "O", "YES", "Y", "OK"})
NO = frozenset({"NON", "N", "NO"})


def fold_reply(text: str) -> str:
    """Upper case, accents off, punctuation to spaces, spaces collapsed: `Arrêt !` → `ARRET`."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare.upper()).split())


def is_opt_out(text: str) -> bool:
    folded = fold_reply(text)
    return folded in OPT_OUT or folded.split(" ", 1)[0] in OPT_OUT_FIRST_WORDS


def rsvp_answer(text: str) -> str:
    """ "yes", "no" or "" (not an answer)."""
    folded = fold_reply(text)
    first = folded.split(" ", 1)[0] if folded else ""
    if folded in YES or first in YES - {"O", "Y"}:
        return "yes"
    if folded in NO or first in NO - {"N"}:
        return "no"
    return ""
