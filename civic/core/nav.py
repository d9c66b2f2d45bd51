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


def nav_context() -> dict:
    main, footer = [], []
    for item in sorted(_ITEMS.values(), key=lambda i: i.order):
        url = url_for(item.endpoint)
        entry = {"label": item.label(), "url": url,
                 "current": request.path == url or (url != "/" and request.path.startswith(url + "/"))}
        (footer if item.footer else main).append(entry)
    return {"main_nav": main, "footer_nav": footer}
