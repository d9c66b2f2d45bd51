"""Settings that administrators change at run time (thresholds, durations).

Modules declare their settings once with :func:`register_setting`; values live
in the ``setting`` table, defaults in code. The admin page lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from civic.core.models import Setting
from civic.extensions import db


@dataclass
class SettingSpec:
    key: str
    default: object
    type: type  # int, bool, str
    label: Callable[[], str]
    help: Callable[[], str] | None = None
    minimum: int | None = None
    maximum: int | None = None
    # For text settings: returns the normalised value, or raises ValueError
    # with the message shown next to the field.
    validate: Callable[[str], str] | None = None


_SPECS: dict[str, SettingSpec] = {}


def register_setting(spec: SettingSpec) -> None:
    _SPECS[spec.key] = spec


def specs() -> list[SettingSpec]:
    return sorted(_SPECS.values(), key=lambda s: s.key)


def coerce(spec: SettingSpec, raw: str):
    """The typed value of a setting's stored text (raises ValueError)."""
    if spec.type is bool:
        return raw in ("1", "true", "True", "on")
    if spec.type is int:
        return int(raw)
    return raw


def get_setting(key: str):
    """Current value of a registered setting (database value or default)."""
    spec = _SPECS[key]
    row = db.session.get(Setting, key)
    if row is None:
        return spec.default
    try:
        return coerce(spec, row.value)
    except ValueError:
        return spec.default


def parse_setting(key: str, raw: str):
    """Validate ``raw`` for ``key``; raises ValueError with a reason."""
    spec = _SPECS[key]
    value = coerce(spec, raw.strip())
    if spec.type is int:
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(spec.minimum)
        if spec.maximum is not None and value > spec.maximum:
            raise ValueError(spec.maximum)
    if spec.validate is not None:
        value = spec.validate(value)
    return value


def store_setting(key: str, value) -> None:
    row = db.session.get(Setting, key)
    raw = "1" if value is True else "0" if value is False else str(value)
    if row is None:
        db.session.add(Setting(key=key, value=raw))
    else:
        row.value = raw
    db.session.flush()
