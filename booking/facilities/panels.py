"""Panels on the facility page that domains above facilities provide (the booking form,
later the price), declared like the navigation bar: a domain registers a panel at import
time and the facility page renders the ones it has, in order. Facilities never imports them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import render_template
from markupsafe import Markup


@dataclass(frozen=True)
class Panel:
    key: str                         # "booking", "price", …
    template: str
    context: Callable[..., dict]     # (facility, **page) → the template's own values
    order: int = 50


_panels: dict[str, Panel] = {}


def register(key: str, template: str, context: Callable[..., dict] = lambda facility, **page: {},
             order: int = 50) -> None:
    _panels[key] = Panel(key, template, context, order)


def has(key: str) -> bool:
    return key in _panels


def render(facility, **page) -> dict[str, Markup]:
    """Each registered panel rendered for this facility, by key, in order."""
    return {panel.key: Markup(render_template(panel.template, facility=facility, **page,
                                              **panel.context(facility, **page)))
            for panel in sorted(_panels.values(), key=lambda p: p.order)}
