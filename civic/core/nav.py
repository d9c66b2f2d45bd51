"""Navigation entries that modules add to the header and footer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import request, url_for


@dataclass
class NavItem:
    label: Callable[[], str]
    endpoint: str
    order: int = 50
    footer: bool = False


_ITEMS: dict[str, NavItem] = {}


def register_nav(label: Callable[[], str], endpoint: str, order: int = 50, footer: bool = False) -> None:
    _ITEMS[endpoint] = NavItem(label, endpoint, order, footer)


_ACCOUNT_ITEMS: list[Callable] = []


def register_account_nav(fn: Callable) -> None:
    """``fn(user) -> (label, url) | None``: a link in the header's account
    menu for a signed-in person (the notifications and their unread count)."""
    if fn not in _ACCOUNT_ITEMS:
        _ACCOUNT_ITEMS.append(fn)


def account_nav(user) -> list[dict]:
    items = []
    for fn in _ACCOUNT_ITEMS:
        found = fn(user)
        if found:
            label, url = found
            items.append({"label": label, "url": url, "current": request.path == url})
    return items


def nav_context() -> dict:
    main, footer = [], []
    for item in sorted(_ITEMS.values(), key=lambda i: i.order):
        url = url_for(item.endpoint)
        entry = {"label": item.label(), "url": url,
                 "current": request.path == url or (url != "/" and request.path.startswith(url + "/"))}
        (footer if item.footer else main).append(entry)
    return {"main_nav": main, "footer_nav": footer}
