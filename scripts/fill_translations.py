#!/usr/bin/env python3
"""Fill msgstr entries of the fi/sv catalogues from a JSON file, then list what is still missing.

    .venv/bin/python scripts/fill_translations.py translations.json   # {msgid: {"fi": ..., "sv": ...}}
    bash scripts/translations.sh                                     # compile

A plural entry's value is a list [singular, plural]. With an empty file ({}) it only lists
the entries that still need a translation."""
import json, sys
from babel.messages.pofile import read_po, write_po
data = json.load(open(sys.argv[1]))
for lang in ("fi", "sv"):
    path = f"booking/translations/{lang}/LC_MESSAGES/messages.po"
    with open(path, "rb") as f:
        cat = read_po(f, locale=lang)
    missing = []
    for msg in cat:
        if not msg.id:
            continue
        key = msg.id if isinstance(msg.id, str) else msg.id[0]
        if key in data and lang in data[key]:
            val = data[key][lang]
            msg.string = tuple(val) if isinstance(msg.id, tuple) else val
        empty = (not msg.string) if isinstance(msg.string, str) else not all(msg.string)
        if empty:
            missing.append(key)
    with open(path, "wb") as f:
        write_po(f, cat, omit_header=False, sort_output=True, include_previous=False, width=120)
    print(lang, "still missing:", len(missing))
    for m in missing[:200]:
        print("   ", repr(m))
