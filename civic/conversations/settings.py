"""The conversation settings: their keys and their declaration on the admin page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from civic.core.settings import SettingSpec, register_setting

RECOMPUTE_EVERY_VOTES = "conversations.recompute_every_votes"
STATEMENTS_PER_HOUR = "conversations.statements_per_hour"
VOTES_PER_HOUR = "conversations.votes_per_hour"


def register() -> None:
    """Declare the settings (idempotent: ``register_setting`` replaces by key)."""
    register_setting(SettingSpec(
        RECOMPUTE_EVERY_VOTES, 20, int, lambda: _l("Opinion groups are recomputed after this many new votes"),
        lambda: _l("They are also recomputed every five minutes when votes came in since the last computation."),
        minimum=1, maximum=10000))
    register_setting(SettingSpec(STATEMENTS_PER_HOUR, 10, int,
                                 lambda: _l("Statements one person may write in a conversation per hour, at most"),
                                 minimum=1, maximum=1000))
    register_setting(SettingSpec(VOTES_PER_HOUR, 600, int,
                                 lambda: _l("Votes on statements one person may cast per hour, at most"),
                                 minimum=10, maximum=100000))
