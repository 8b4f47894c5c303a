"""The navigation bar, declared by each domain for its own pages.

A domain's views module calls `add(...)` at import time; the base template renders the
items whose `visible(user)` is true, in `order`. The bar knows no domain itself, so a
lower layer never imports a higher one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy gettext string
    visible: Callable[[object], bool]
    order: int
    badge: Callable[[object], int | None] | None = None
    group: str = "main"  # "main" or "account"
    badge_label: object = None  # what the count means, for screen readers ("waiting" if None)


_items: dict[str, NavItem] = {}


def add(endpoint, label, *, visible=lambda user: True, order=50, badge=None, group="main", badge_label=None) -> None:
    _items[endpoint] = NavItem(endpoint, label, visible, order, badge, group, badge_label)


def items_for(group: str = "main") -> list[dict]:
    """The items the current user may see, ready for the template."""
    shown = []
    for item in sorted(_items.values(), key=lambda i: i.order):
        if item.group != group or not item.visible(current_user):
            continue
        shown.append({
            "url": url_for(item.endpoint),
            "endpoint": item.endpoint,
            "label": item.label,
            "badge": item.badge(current_user) if item.badge else None,
            "badge_label": item.badge_label,
        })
    return shown
