"""What text a person may send: no control characters, NUL or text-direction overrides (which
make a name read backwards). Web forms (booking.forms.BaseForm) and the API's text type
(booking.api.types.Text) both refuse what this finds."""
from __future__ import annotations

import re

# C0 controls except tab, newline and carriage return; DEL and C1 controls; the bidirectional
# embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
UNWANTED = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNWANTED = re.compile(f"[{UNWANTED}]")


def has_unwanted_characters(value: str) -> bool:
    return bool(_UNWANTED.search(value))
