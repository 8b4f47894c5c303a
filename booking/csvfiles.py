"""CSV files people open in spreadsheets: a text cell a spreadsheet would run as a formula
(starting with = + - @ or a tab or carriage return, and not a plain number) is written with a
leading apostrophe, which spreadsheets show as text; reading our own files takes it off again."""
from __future__ import annotations

import csv
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?%?")


def safe_cell(value):
    """The value as a spreadsheet should show it (strings only; numbers are left alone)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def unguard(text: str) -> str:
    """A cell read back from one of our files: the apostrophe safe_cell added comes off."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_START and text[1:2] != "" else text


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        if isinstance(row, dict):
            return self._writer.writerow({k: safe_cell(v) for k, v in row.items()})
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)

    def writeheader(self):
        return self._writer.writeheader()


def writer(out, **options) -> _SafeWriter:
    """csv.writer whose text cells are spreadsheet-safe."""
    return _SafeWriter(csv.writer(out, **options))


def dict_writer(out, fieldnames, **options) -> _SafeWriter:
    """csv.DictWriter whose text cells are spreadsheet-safe."""
    return _SafeWriter(csv.DictWriter(out, fieldnames=fieldnames, **options))
