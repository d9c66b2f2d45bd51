"""The deliberation settings: their keys (read by the services, the
permissions and the digest job) and their declaration on the admin page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from civic.core.settings import SettingSpec, register_setting

RESIDENTS_MAY_OPEN = "deliberation.residents_may_open_debates"
MIN_ACCOUNT_AGE_DAYS = "deliberation.comment_min_account_age_days"
REQUIRE_CONFIRMED_EMAIL = "deliberation.comment_require_confirmed_email"
RATE_LIMIT_PER_HOUR = "deliberation.comment_rate_limit_per_hour"
EDIT_WINDOW_MINUTES = "deliberation.comment_edit_window_minutes"
DIGEST_HOURS = "deliberation.reply_digest_hours"


def register() -> None:
    """Declare the settings (idempotent: ``register_setting`` replaces by key)."""
    register_setting(SettingSpec(RESIDENTS_MAY_OPEN, False, bool, lambda: _l("Residents may open debates"),
                                 lambda: _l("Otherwise only officials open debates.")))
    register_setting(SettingSpec(MIN_ACCOUNT_AGE_DAYS, 0, int, lambda: _l("Minimum account age to comment (days)"),
                                 lambda: _l("0 lets new accounts comment at once."), minimum=0, maximum=365))
    register_setting(SettingSpec(REQUIRE_CONFIRMED_EMAIL, True, bool,
                                 lambda: _l("A confirmed email address is needed to comment")))
    register_setting(SettingSpec(RATE_LIMIT_PER_HOUR, 20, int, lambda: _l("Comments per person per hour, at most"),
                                 minimum=1, maximum=1000))
    register_setting(SettingSpec(EDIT_WINDOW_MINUTES, 10, int, lambda: _l("Minutes during which a comment can be edited"),
                                 minimum=0, maximum=1440))
    register_setting(SettingSpec(DIGEST_HOURS, 24, int, lambda: _l("Hours between two mails about replies, at least"),
                                 lambda: _l("Replies to someone's comments are gathered in one mail per period."),
                                 minimum=1, maximum=24 * 7))
