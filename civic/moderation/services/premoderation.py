"""Pre-moderation: new items of the kinds administrators choose are hidden
until a moderator approves them (a case of source "premoderation")."""

from __future__ import annotations

from civic.core import audit, content
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation import permissions
from civic.moderation.models import CaseSource, HoldCause
from civic.moderation.services.cases import open_case
from civic.moderation.services.common import log
from civic.moderation.services.holds import add_hold
from civic.moderation.settings import premoderated_kinds


def on_item_created(kind_name: str, obj, actor=None) -> None:
    """Creation listener: items of pre-moderated kinds are hidden until a
    moderator approves them. Moderators' own contributions are not held."""
    if kind_name not in premoderated_kinds():
        return
    kind = content.get_kind(kind_name)
    if kind.hooks.get("set_hidden") is None:
        log.warning("kind %s is pre-moderated but cannot be hidden (no set_hidden hook)", kind_name)
        return
    if permissions.can_skip_premoderation(actor, kind.district_id(obj)):
        return
    case = open_case(kind_name, obj.id, kind, obj, CaseSource.PREMODERATION)
    if case.hidden_at is None:
        now = utcnow()
        case.hidden_at = now
        db.session.flush()
        add_hold(kind_name, obj.id, HoldCause.REVIEW, case.id, now)
        audit.record(None, "moderation.premoderated", kind_name, obj.id, case_id=case.id)
