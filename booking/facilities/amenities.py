"""The amenity vocabulary's pure parts: when two written names are the same amenity, which
code a name gets, and which group a new name falls into.

The 0017 migration uses these to turn the old free-text names into the vocabulary, and the
services use them to match a name a manager or a CSV file writes against it (in any language).
"""
from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# Keyword (the start of a word in a normalised name) → group; the first match wins, so specific
# words come first. Names in other languages, or unknown, fall into "other" for a manager to place.
GROUP_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("lab bench", "workshop"), ("safety", "workshop"),
    ("hearing", "accessibility"), ("induction", "accessibility"), ("wheelchair", "accessibility"),
    ("ramp", "accessibility"), ("accessible", "accessibility"), ("braille", "accessibility"),
    ("kitchen", "kitchen"), ("coffee", "kitchen"), ("fridge", "kitchen"), ("dishwasher", "kitchen"),
    ("bar counter", "kitchen"), ("oven", "kitchen"), ("stove", "kitchen"), ("microwave", "kitchen"),
    ("sauna", "outdoor"), ("campfire", "outdoor"), ("firewood", "outdoor"), ("outdoor", "outdoor"),
    ("pier", "outdoor"), ("mooring", "outdoor"), ("raised bed", "outdoor"), ("tool shed", "outdoor"),
    ("boat", "outdoor"), ("float", "outdoor"), ("water point", "outdoor"), ("bench", "outdoor"),
    ("lamp post", "outdoor"), ("bus stop", "outdoor"), ("street", "outdoor"), ("roadside", "outdoor"),
    ("court", "sports"), ("goal", "sports"), ("hoop", "sports"), ("net", "sports"), ("gym", "sports"),
    ("yoga", "sports"), ("pool", "sports"), ("changing", "sports"), ("skate", "sports"),
    ("table tennis", "sports"), ("basket", "sports"), ("floodlight", "sports"), ("mirror", "sports"),
    ("locker", "sports"), ("shower", "sports"),
    ("cnc", "workshop"), ("laser", "workshop"), ("lathe", "workshop"), ("saw", "workshop"),
    ("weld", "workshop"), ("solder", "workshop"), ("3d print", "workshop"), ("workbench", "workshop"),
    ("shear", "workshop"), ("crane", "workshop"), ("forklift", "workshop"), ("fume", "workshop"),
    ("incubator", "workshop"), ("spectro", "workshop"), ("oscillo", "workshop"),
    ("sewing", "workshop"), ("overlocker", "workshop"), ("embroider", "workshop"), ("power suppl", "workshop"),
    ("test", "workshop"), ("rig", "workshop"), ("weighbridge", "workshop"),
    ("container", "workshop"),
    ("projector", "technology"), ("screen", "technology"), ("wi fi", "technology"), ("wifi", "technology"),
    ("video", "technology"), ("sound", "technology"), ("microphone", "technology"), ("pa system", "technology"),
    ("computer", "technology"), ("fibre", "technology"), ("5g", "technology"), ("lorawan", "technology"),
    ("edge", "technology"), ("data", "technology"), ("sensor", "technology"), ("power", "technology"),
    ("lighting", "technology"), ("piano", "technology"), ("drum", "technology"),
    ("chair", "furniture"), ("table", "furniture"), ("desk", "furniture"), ("whiteboard", "furniture"),
    ("stage", "furniture"), ("cloakroom", "furniture"),
)


def _plain(name: str) -> str:
    """Lower case, accents kept apart from their letters and dropped, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join(_NOT_ALNUM.sub(" ", "".join(c for c in decomposed if not unicodedata.combining(c))).split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def match_key(name: str) -> str:
    """Two names with the same key are one amenity: case, punctuation, spaces and an English
    plural do not count ('Changing room' / 'Changing rooms', 'Wi-Fi' / 'WiFi')."""
    return "".join(_singular(word) for word in _plain(name).split())


def code_for(name: str) -> str:
    """A stable code from a name: 'Changing rooms' → 'changing_room'."""
    return "_".join(_singular(word) for word in _plain(name).split())[:60] or "amenity"


def group_for(name: str) -> str:
    plain = _plain(name)
    padded = f" {plain}"
    for keyword, group in GROUP_KEYWORDS:
        if f" {keyword}" in padded:
            return group
    return "other"
