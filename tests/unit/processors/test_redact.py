"""redact(): emails, Luhn-valid cards and phone numbers become placeholders, with counts."""

from __future__ import annotations

import dataclasses

import pytest

from processors.redact import Redaction, luhn_valid, redact

NO_HITS = {"EMAIL": 0, "PHONE": 0, "CARD": 0}


def only(kind: str, n: int = 1) -> dict[str, int]:
    return {**NO_HITS, kind: n}


# --- luhn_valid ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "digits",
    [
        "4111111111111111",  # Visa test number
        "378282246310005",  # Amex test number
        "5555555555554444",  # Mastercard test number
        "6011111111111117",  # Discover test number
        "4222222222222",  # 13-digit Visa test number
        "79927398713",  # textbook Luhn example
        "0",
    ],
)
def test_luhn_accepts_valid_numbers(digits: str) -> None:
    assert luhn_valid(digits) is True


@pytest.mark.parametrize(
    "digits",
    [
        "4111111111111112",
        "1234567812345678",
        "378282246310006",
        "79927398710",
        "",
        "4111 1111 1111 1111",  # separators are not digits
        "4111-1111-1111-1111",
        "41111111111111a1",
        "٤١١١١١١١١١١١١١١١",  # non-ASCII digits are rejected
    ],
)
def test_luhn_rejects_invalid_input(digits: str) -> None:
    assert luhn_valid(digits) is False


# --- emails ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@example.com", "[EMAIL]"),
        ("mail jane.doe@example.com please", "mail [EMAIL] please"),
        ("plus tag: jane+care@example.com.", "plus tag: [EMAIL]."),
        ("sub: j_doe-99@mail.eu.example.co.uk", "sub: [EMAIL]"),
        ("<Jane.Doe@Example.COM>", "<[EMAIL]>"),
        ("mailto:support%team@my-shop.io,", "mailto:[EMAIL],"),
        ("josé@münchen.de", "[EMAIL]"),
        ("user07700900123@example.com", "[EMAIL]"),  # digits inside an email are not a phone
    ],
)
def test_redacts_emails(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.counts == only("EMAIL")


@pytest.mark.parametrize(
    "text",
    ["@handle", "user@", "user@localhost", "a @ b.com", "email me at example dot com"],
)
def test_non_emails_untouched(text: str) -> None:
    assert redact(text).text == text


# --- cards -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111 1111 1111 1111", "[CARD]"),
        ("4111-1111-1111-1111", "[CARD]"),
        ("4111111111111111", "[CARD]"),
        ("3782 822463 10005", "[CARD]"),
        ("378282246310005", "[CARD]"),
        ("5555 5555 5555 4444", "[CARD]"),
        ("4222222222222", "[CARD]"),
        ("card no. 4111 1111 1111 1111, exp 12/27", "card no. [CARD], exp 12/27"),
        ("4111 1111 1111 1111 123", "[CARD] 123"),  # trailing CVV is not part of the card
        ("qty 5 4111 1111 1111 1111", "qty 5 [CARD]"),
    ],
)
def test_redacts_luhn_valid_cards(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.counts == only("CARD")


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",
        "4111-1111-1111-1112",
        "1234567812345678",
        "order 1234-5678-9012-3456 shipped",
        "4111111111111111111111",  # too long to be a card
        "4111 1111-1111 1111",  # mixed separators
        "0.4111111111111111",  # decimal fraction
    ],
)
def test_luhn_failing_digit_runs_left_intact(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.total == 0


@pytest.mark.parametrize("text", ["4111111111111111", "6011111111111117", "4222222222222"])
def test_card_wins_over_phone(text: str) -> None:
    result = redact(f"number {text}")
    assert result.text == "number [CARD]"
    assert result.counts == only("CARD")


# --- phones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+44 20 7946 0958", "[PHONE]"),
        ("+1-202-555-0143", "[PHONE]"),
        ("+49 (0)30 1234567", "[PHONE]"),
        ("+1 (202) 555-0143", "[PHONE]"),
        ("+447700900123", "[PHONE]"),
        ("(202) 555-0143", "[PHONE]"),
        ("202-555-0143", "[PHONE]"),
        ("202.555.0143", "[PHONE]"),
        ("1-800-555-0199", "[PHONE]"),
        ("07700900123", "[PHONE]"),
        ("2025550143", "[PHONE]"),
        ("07700 900123", "[PHONE]"),
        ("020 7946 0958", "[PHONE]"),
        ("call me on 202-555-0143.", "call me on [PHONE]."),
        ("tel:+44 20 7946 0958, thanks", "tel:[PHONE], thanks"),
    ],
)
def test_redacts_phones(text: str, expected: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.counts == only("PHONE")


@pytest.mark.parametrize(
    "text",
    [
        "In 2024 we",  # year
        "it cost 49.99",  # price
        "it cost $1,299.99 or £49",  # prices with thousands separator
        "order 12345678",  # 8-digit order number
        "order #1234567",
        "ref 123456789",  # 9 digits is too short for a plain phone
        "id 123456789012",  # 12 digits is too long for a plain phone
        "at 10:30",  # time
        "on 2024-05-01",  # ISO date
        "on 01/05/2024 at 10:30:15",
        "from 2023-2024",
        "version 1.2.3, 50% off, +5 points",
        "invoice INV1234567890",  # digits glued to letters are an identifier
    ],
)
def test_short_numbers_untouched(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.counts == NO_HITS


@pytest.mark.parametrize(
    "text",
    [
        "call ０７７００ ９００１２３ now",  # full-width digits
        "call ٠٧٧٠٠٩٠٠١٢٣ now",  # Arabic-Indic digits
        "card ４１１１ １１１１ １１１１ １１１１",
    ],
)
def test_only_ascii_digits_make_cards_and_phones(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.counts == NO_HITS


def test_digits_inside_an_email_leave_no_card_or_phone_behind() -> None:
    result = redact("write to 4111111111111111@example.com or 07700900123@example.org")
    assert result.text == "write to [EMAIL] or [EMAIL]"
    assert result.counts == only("EMAIL", 2)


# --- mixed, empty, and result type -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "counts"),
    [
        (
            "Email a@b.com or c.d+x@mail.example.org, call +44 20 7946 0958 or 07700900123.",
            "Email [EMAIL] or [EMAIL], call [PHONE] or [PHONE].",
            {"EMAIL": 2, "PHONE": 2, "CARD": 0},
        ),
        (
            "Card 4111-1111-1111-1111 and 3782 822463 10005, phone (202) 555-0143.",
            "Card [CARD] and [CARD], phone [PHONE].",
            {"EMAIL": 0, "PHONE": 1, "CARD": 2},
        ),
        (
            "Order 12345678 (2024-05-01, 49.99): jane@example.com, 202.555.0143, "
            "4111 1111 1111 1111, ref 1234567812345678.",
            "Order 12345678 (2024-05-01, 49.99): [EMAIL], [PHONE], [CARD], ref 1234567812345678.",
            {"EMAIL": 1, "PHONE": 1, "CARD": 1},
        ),
    ],
)
def test_multiple_pii_counts(text: str, expected: str, counts: dict[str, int]) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.counts == counts
    assert result.total == sum(counts.values())


@pytest.mark.parametrize(
    "text",
    ["", "   ", "Hello, my router keeps dropping the connection.", "Thanks!\nBye", "[EMAIL]"],
)
def test_text_without_pii_is_returned_unchanged(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.counts == NO_HITS
    assert result.total == 0


@pytest.mark.parametrize(
    "text",
    ["jane@example.com 4111 1111 1111 1111 +44 20 7946 0958", "call 07700900123 now"],
)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.total == 0


def test_redaction_is_frozen_and_counts_are_read_only() -> None:
    result = redact("jane@example.com")
    assert isinstance(result, Redaction)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.counts["EMAIL"] = 0  # type: ignore[index]


@pytest.mark.parametrize(
    ("counts", "total"),
    [({"EMAIL": 0, "PHONE": 0, "CARD": 0}, 0), ({"EMAIL": 2, "PHONE": 1, "CARD": 3}, 6)],
)
def test_total_sums_counts(counts: dict[str, int], total: int) -> None:
    assert Redaction(text="", counts=counts).total == total
