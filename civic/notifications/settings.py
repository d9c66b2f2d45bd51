"""Notifications' settings (admin settings page) and their readers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from civic.core.settings import SettingSpec, get_setting

SETTING_RETENTION = "notifications.retention_days"

SPECS = (
    SettingSpec(
        SETTING_RETENTION, 90, int, lambda: _l("Notifications: days kept in the inbox"),
        lambda: _l("Notifications older than this are deleted, read or not."), minimum=7, maximum=730),
)


def retention_days() -> int:
    return int(get_setting(SETTING_RETENTION))
