"""Moderation services: reports, auto-hide, pre-moderation, decisions, blocks, appeals.

Every function that takes the actor checks permission first
(``civic.moderation.permissions``), validates, changes the rows, writes the
audit entry and outbox mails, and flushes; the caller commits. Items are
reached only through the content registry hooks (``set_hidden``, ``redact``,
``text``, ``authored_by``, ``excerpt``, ``context``), so the same code serves
petitions, comments, debates, projects and proposals. Moderation never
deletes content: it hides and restores.

One module per sub-feature, none importing another that imports it back:
``common`` (items, people to alert, checks, race-safe writes) ← ``holds``
← ``cases`` (queue, one case) ← ``reports``, ``premoderation``,
``decisions``; ``blocks`` ← ``appeals``; ``privacy``. This package
re-exports their public names, so ``services.report_content(...)`` works
as before.
"""

from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, RateLimited, ValidationError
from civic.moderation.services.appeals import (
    MAX_APPEAL,
    appeal_decision,
    appeal_detail,
    decide_appeal,
    decision_title,
    get_appeal,
    my_decisions,
    own_decision,
    pending_appeals,
)
from civic.moderation.services.blocks import (
    FAR_FUTURE,
    active_block,
    block_user,
    ended_blocks,
    lift_block,
    person_summary,
    unblock_user,
)
from civic.moderation.services.cases import (
    author_histories,
    case_detail,
    get_case,
    moderation_queue,
    open_case,
    open_case_count,
    queue_order,
)
from civic.moderation.services.common import (
    MAX_STATEMENT,
    MIN_STATEMENT,
    can_mail,
    clean_statement,
    describe,
    insert_or_nothing,
    item,
    item_text,
    item_title,
    load_items,
    moderators_for,
    parse_reason,
)
from civic.moderation.services.decisions import decide_case
from civic.moderation.services.holds import active_holds, add_hold, is_held, release_holds, set_hidden
from civic.moderation.services.premoderation import on_item_created
from civic.moderation.services.privacy import erase_personal_data, export_personal_data
from civic.moderation.services.reports import MAX_DETAILS, REPORTS_PER_HOUR, has_reported, report_content, reportable
from civic.moderation.settings import (
    SETTING_DIGEST,
    SETTING_PREMODERATED,
    SETTING_THRESHOLD,
    auto_hide_threshold,
    premoderated_kinds,
)

__all__ = [
    "FAR_FUTURE", "MAX_APPEAL", "MAX_DETAILS", "MAX_STATEMENT", "MIN_STATEMENT", "REPORTS_PER_HOUR",
    "SETTING_DIGEST", "SETTING_PREMODERATED", "SETTING_THRESHOLD",
    "InvalidTransition", "NotFound", "PermissionDenied", "RateLimited", "ValidationError",
    "active_block", "active_holds", "add_hold", "appeal_decision", "appeal_detail", "author_histories",
    "auto_hide_threshold", "block_user", "can_mail", "case_detail", "clean_statement",
    "decide_appeal", "decide_case", "decision_title", "describe", "ended_blocks", "erase_personal_data", "export_personal_data",
    "get_appeal", "get_case", "has_reported", "insert_or_nothing", "is_held", "item", "item_text", "item_title",
    "lift_block", "load_items", "moderation_queue", "moderators_for", "my_decisions", "on_item_created",
    "open_case", "open_case_count", "own_decision", "parse_reason", "pending_appeals", "person_summary",
    "premoderated_kinds", "queue_order", "release_holds", "report_content", "reportable", "set_hidden",
    "unblock_user",
]
