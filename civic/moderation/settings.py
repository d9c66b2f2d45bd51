"""Moderation's settings (admin settings page): their specs, registered by
``kind.declare``, and the readers the services and jobs use."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from civic.core import content
from civic.core.settings import SettingSpec, get_setting

SETTING_THRESHOLD = "moderation.auto_hide_threshold"
SETTING_PREMODERATED = "moderation.premoderated_kinds"
SETTING_DIGEST = "moderation.digest_interval"

SPECS = (
    SettingSpec(
        SETTING_THRESHOLD, 3, int, lambda: _l("Moderation: reports before an item is hidden"),
        lambda: _l("Number of reports from different people after which an item is hidden until a moderator "
                   "reviews it."), minimum=1, maximum=100),
    SettingSpec(
        SETTING_PREMODERATED, "", str, lambda: _l("Moderation: pre-moderated contributions"),
        lambda: _l("New items of the kinds ticked are shown only after a moderator approves them."),
        choices=lambda: [(kind.name, kind.label()) for kind in content.kinds()]),
    SettingSpec(
        SETTING_DIGEST, 60, int, lambda: _l("Moderation: minutes between report digests"),
        lambda: _l("Moderators receive new reports grouped in one email at most this often (auto-hidden items "
                   "are mailed at once)."), minimum=5, maximum=10080),
)


def auto_hide_threshold() -> int:
    return int(get_setting(SETTING_THRESHOLD))


def premoderated_kinds() -> list[str]:
    raw = get_setting(SETTING_PREMODERATED) or ""
    return [k.strip() for k in raw.split(",") if k.strip()]


def digest_interval() -> timedelta:
    return timedelta(minutes=int(get_setting(SETTING_DIGEST)))
