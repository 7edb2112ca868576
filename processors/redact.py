"""Redact PII (email addresses, payment card numbers, phone numbers) from free text.

Pure and I/O-free: one precompiled regex pass per kind, in the order emails, cards, phones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

EMAIL = "EMAIL"
PHONE = "PHONE"
CARD = "CARD"

_EMAIL_TOKEN = f"[{EMAIL}]"
_PHONE_TOKEN = f"[{PHONE}]"
_CARD_TOKEN = f"[{CARD}]"

_CARD_MIN_DIGITS = 13
_CARD_MAX_DIGITS = 19

# Unicode-aware on purpose, so internationalised addresses (josé@example.de) are caught too.
# The lookbehind stops a match starting inside a longer local part.
_EMAIL_RE = re.compile(
    r"""
    (?<![\w.%+\-])
    [\w%+\-]+(?:\.[\w%+\-]+)*                       # local part, dot-separated atoms, plus-tags
    @
    (?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+            # one or more domain labels (subdomains)
    [^\W\d_]{2,63}\b                                # top-level domain, letters only
    """,
    re.VERBOSE,
)

# Candidate card runs: digit groups of 3-19 digits joined by single spaces or dashes, not glued to
# other digits or to a decimal point. The lookahead cheaply skips anything with fewer than 13
# digits; which groups (if any) form a card is decided by _redact_card_run with the Luhn check.
_CARD_RUN_RE = re.compile(
    r"""
    (?<![\d+])(?<!\d[.,])
    (?=\d(?:[ \-]?\d){12})
    \d{3,19}(?!\d)
    (?:[ \-]\d{3,19}(?!\d))*
    (?![.,]\d)
    """,
    re.VERBOSE | re.ASCII,
)
_CARD_SEP_RE = re.compile(r"([ \-])")
_ASCII_DIGIT_RE = re.compile(r"[0-9]")

_PHONE_RE = re.compile(
    r"""
      # International: + then 7-15 digits (a bracketed part counts as one), single space/dot/dash
      # separators, optional bracketed trunk or area code:
      # +44 20 7946 0958, +1-202-555-0143, +49 (0)30 1234567
      (?<![\w+])\+\d(?:[ .\-]?(?:\(\d{1,4}\)|\d)){6,14}(?!\d)
      # North American: (202) 555-0143, 202-555-0143, 202.555.0143, 1-800-555-0199
    | (?<!\w)(?:1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\d)
      # UK national with spaces or dashes: 07700 900123, 020 7946 0958, 0161 496 0000
    | (?<![\w.,])0(?:\d{4}[ \-]\d{6}|\d{3}[ \-]\d{3}[ \-]\d{4}|\d{2}[ \-]\d{4}[ \-]\d{4})
      (?!\w|[.,]\d)
      # Plain run of 10-11 digits: 07700900123, 2025550143
    | (?<![\w.,])\d{10,11}(?!\w|[.,]\d)
    """,
    re.VERBOSE | re.ASCII,
)


@dataclass(frozen=True)
class Redaction:
    """Redacted text plus how many items of each kind ("EMAIL", "PHONE", "CARD") were replaced."""

    text: str
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def luhn_valid(digits: str) -> bool:
    """True if `digits` (ASCII digits only, no separators) passes the Luhn checksum."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _redact_card_run(run: str) -> tuple[str, int]:
    """Replace each Luhn-valid card inside one candidate run; return the new run and card count.

    A card is a window of consecutive groups with 13-19 digits in all and one kind of separator,
    tried leftmost first and longest first, so a trailing CVV or a leading quantity is left out.
    """
    parts = _CARD_SEP_RE.split(run)
    groups = parts[0::2]
    seps = parts[1::2]
    n = len(groups)
    out: list[str] = []
    found = 0
    start = 0
    while start < n:
        # Windows starting here that stay within 19 digits and one separator kind (few groups).
        stops: list[int] = []
        length = 0
        for stop in range(start, n):
            length += len(groups[stop])
            if length > _CARD_MAX_DIGITS or (stop > start and seps[stop - 1] != seps[start]):
                break
            if length >= _CARD_MIN_DIGITS:
                stops.append(stop)
        end, piece = start, groups[start]
        for stop in reversed(stops):  # longest first
            if luhn_valid("".join(groups[start : stop + 1])):
                end, piece = stop, _CARD_TOKEN
                found += 1
                break
        out.append(piece)
        if end < n - 1:
            out.append(seps[end])
        start = end + 1
    return "".join(out), found


def _redact_cards(text: str) -> tuple[str, int]:
    found = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        redacted, count = _redact_card_run(match.group())
        found += count
        return redacted

    return _CARD_RUN_RE.sub(replace, text), found


def redact(text: str) -> Redaction:
    """Replace emails, payment cards and phone numbers in `text` with [EMAIL], [CARD], [PHONE].

    Cards are handled before phones, so a Luhn-valid card number is never counted as a phone.
    A digit run that fails the Luhn check is left alone unless it matches a phone pattern.
    """
    emails = cards = phones = 0
    if "@" in text:
        text, emails = _EMAIL_RE.subn(_EMAIL_TOKEN, text)
    if _ASCII_DIGIT_RE.search(text):  # cards and phones are made of ASCII digits
        text, cards = _redact_cards(text)
        text, phones = _PHONE_RE.subn(_PHONE_TOKEN, text)
    return Redaction(
        text=text,
        counts=MappingProxyType({EMAIL: emails, PHONE: phones, CARD: cards}),
    )
