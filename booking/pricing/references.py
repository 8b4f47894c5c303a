"""Payment references printed on an invoice: the Finnish reference number and the RF
creditor reference (ISO 11649) built from it. Pure functions."""
from __future__ import annotations

_WEIGHTS = (7, 3, 1)


def check_digit(base: str) -> int:
    """The Finnish reference number's check digit: weights 7, 3, 1 from the right."""
    total = sum(int(digit) * _WEIGHTS[i % 3] for i, digit in enumerate(reversed(base)))
    return (10 - total % 10) % 10


def reference_number(base: str | int) -> str:
    """A Finnish reference number (viitenumero): 3–19 digits and the check digit."""
    base = str(base)
    if not base.isdigit() or not 3 <= len(base) <= 19 or base.startswith("0"):
        raise ValueError(f"a reference base is 3–19 digits not starting with 0, not {base!r}")
    return base + str(check_digit(base))


def is_valid_reference(reference: str) -> bool:
    digits = reference.replace(" ", "")
    return digits.isdigit() and 4 <= len(digits) <= 20 and check_digit(digits[:-1]) == int(digits[-1])


def _as_digits(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


def rf_reference(reference: str) -> str:
    """The RF creditor reference of a national reference: 'RF' + two check digits + reference."""
    reference = reference.replace(" ", "").upper()
    check = 98 - int(_as_digits(reference + "RF00")) % 97
    return f"RF{check:02d}{reference}"


def is_valid_rf(value: str) -> bool:
    value = value.replace(" ", "").upper()
    return value.startswith("RF") and int(_as_digits(value[4:] + value[:4])) % 97 == 1


def invoice_reference(number: int) -> str:
    """The reference number of invoice `number` (a leading 1 keeps it at least 3 digits)."""
    return reference_number(f"1{number:04d}")


def grouped(reference: str, size: int = 5) -> str:
    """'1 00017' → groups of `size` from the right, as printed on Finnish invoices."""
    digits = reference.replace(" ", "")
    head = len(digits) % size
    parts = ([digits[:head]] if head else []) + [digits[i:i + size] for i in range(head, len(digits), size)]
    return " ".join(parts)


def grouped_rf(value: str) -> str:
    """'RF18 5390 0754 7034': groups of four from the left."""
    value = value.replace(" ", "")
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
