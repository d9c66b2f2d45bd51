"""Hooks through which each module says what personal data it holds.

``register_exporter(name, fn)``: ``fn(user) -> dict | list`` goes into the
"my data" page and download under ``name``. ``register_eraser(fn)``:
``fn(user)`` anonymises the module's rows when an account is deleted
(contributions stay, personal data goes).
"""

from collections.abc import Callable

_EXPORTERS: dict[str, Callable] = {}
_NOTICES: list[Callable] = []
_ERASERS: list[Callable] = []


def register_exporter(name: str, fn: Callable) -> None:
    _EXPORTERS[name] = fn


def register_eraser(fn: Callable) -> None:
    if fn not in _ERASERS:
        _ERASERS.append(fn)


def exporters() -> dict[str, Callable]:
    return dict(_EXPORTERS)


def erasers() -> list[Callable]:
    return list(_ERASERS)


def register_privacy_notice(fn: Callable) -> None:
    """``fn() -> {"title": str, "rows": [(what, why, how_long), ...]}`` shown on
    the privacy page: every module says what it collects, why, and for how long."""
    if fn not in _NOTICES:
        _NOTICES.append(fn)


def privacy_notices() -> list[dict]:
    return [fn() for fn in _NOTICES]
