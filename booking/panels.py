"""Sections that higher domains add to a lower domain's page, declared like the navigation bar.

A page (the facility page, the profile, an organisation's reservations, the manager's inbox)
renders `panels.<key>` for the panels registered for it; a domain above registers its panel
at import time with the template and a function giving the template's own values. The page's
domain never imports the domains that fill it.

    panels.register("facility", "booking", "reservations/_facility_booking.html",
                    lambda facility, **page: {"choice": ...}, order=10)
    render_template(..., panels=panels.render("facility", facility=facility, when=when))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import render_template
from markupsafe import Markup


@dataclass(frozen=True)
class Panel:
    page: str                        # "facility", "profile", "organisation_reservations", "inbox"
    key: str                         # "booking", "price", "subscribe", …
    template: str
    context: Callable[..., dict]     # (**page values) → the template's own values
    order: int = 50


_panels: dict[tuple[str, str], Panel] = {}


def register(page: str, key: str, template: str, context: Callable[..., dict] = lambda **page: {},
             order: int = 50) -> None:
    _panels[(page, key)] = Panel(page, key, template, context, order)


def render(page: str, **values) -> dict[str, Markup]:
    """Each panel registered for the page, rendered with the page's values, by key, in order."""
    found = sorted((p for p in _panels.values() if p.page == page), key=lambda p: p.order)
    return {panel.key: Markup(render_template(panel.template, **values, **panel.context(**values)))
            for panel in found}


# --- facts on list cards ----------------------------------------------------------------------
# A list page (the catalogue) asks once for the whole page of items; a provider answers with
# a short line per item it knows something about ("from €12/h for your organisation").

CardFacts = Callable[..., dict[int, str]]   # (items, **page values) → {item id: text}
_card_facts: dict[tuple[str, str], tuple[CardFacts, int]] = {}


def register_card_facts(page: str, key: str, provider: CardFacts, order: int = 50) -> None:
    _card_facts[(page, key)] = (provider, order)


def card_facts(page: str, items, **values) -> dict[int, list[str]]:
    """Every provider's line for each item of the page, in order: {item id: [text, …]}."""
    found: dict[int, list[str]] = {}
    providers = sorted(((p, o) for (pg, _k), (p, o) in _card_facts.items() if pg == page), key=lambda x: x[1])
    for provider, _order in providers:
        for item_id, text in provider(items, **values).items():
            found.setdefault(item_id, []).append(text)
    return found
