"""Settings that administrators change at run time (thresholds, durations).

Modules declare their settings once with :func:`register_setting`; values live
in the ``setting`` table, defaults in code. The admin page lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from civic.core import audit
from civic.core.errors import ValidationError
from civic.core.models import Setting
from civic.core.permissions import is_admin, require
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
    # For a text setting that is a set of choices (stored comma-separated):
    # ``choices()`` gives ``(value, label)`` pairs; the settings page shows
    # checkboxes instead of asking for internal names.
    choices: Callable[[], list[tuple[str, str]]] | None = None


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
    if spec.choices is not None:
        allowed = {v for v, _label in spec.choices()}
        chosen = [v.strip() for v in str(value).split(",") if v.strip()]
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            raise ValueError(_("Choose from the list (unknown: %(values)s).", values=", ".join(unknown)))
        value = ",".join(v for v, _label in spec.choices() if v in chosen)  # stored in the list's order
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


def change_settings(actor, entered: dict[str, str | None]) -> dict:
    """An administrator changes registered settings.

    ``entered`` maps setting keys to the text typed in the form (``None``
    when left empty). Every value is checked before any is stored; the
    changed ones are stored and recorded in one audit entry. Returns the
    changed values by key. Raises ValidationError with ``fields`` keyed by
    setting key."""
    require(is_admin(actor))
    errors, values = {}, {}
    for key, raw in entered.items():
        spec = _SPECS[key]
        if not raw and spec.type is not str:
            errors[key] = _("Enter a value.")
            continue
        try:
            values[key] = parse_setting(key, raw or "")
        except ValueError as exc:
            reason = exc.args[0] if exc.args else ""
            errors[key] = (str(reason) if spec.type is str else
                           _("Enter a whole number within the allowed range (%(limit)s).", limit=reason))
    if errors:
        raise ValidationError(fields=errors)
    changed = {key: value for key, value in values.items() if value != get_setting(key)}
    for key, value in changed.items():
        store_setting(key, value)
    if changed:
        audit.record(actor, "settings.changed", reason=None, **{k: str(v) for k, v in changed.items()})
    return changed
