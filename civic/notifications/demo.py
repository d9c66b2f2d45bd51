"""Notifications demo: residents follow their district and some of the
items the other loaders made, and hear of what really happened to them —
the official answers, phase changes, results and implementation news the
audit log of the demo records (so every inbox item points at true data)."""

from __future__ import annotations

import sqlalchemy as sa

from civic.core import content, events, follows
from civic.core.models import AuditEntry
from civic.demo import register_demo
from civic.extensions import db
from civic.notifications import services
from civic.notifications.models import Notification

# Audit actions of the other modules, and the event each one is.
ACTIONS = {
    "petition.response_published": "answered",
    "proposal.accepted": "answered",
    "proposal.rejected": "answered",
    "proposal.implementation_update": "implementation_update",
    "budget.results_published": "results_published",
    "budget.project_update": "implementation_update",
    "process.results_published": "results_published",
    "consultation.followup_published": "followup_published",
    "phase.changed": "phase_changed",
}


def _happenings(limit: int = 14) -> list[tuple[str, int, str]]:
    """The latest (kind, id, event type) of the audit log that the kind declares."""
    found, seen = [], set()
    rows = db.session.execute(sa.select(AuditEntry.action, AuditEntry.kind, AuditEntry.object_id)
                              .where(AuditEntry.action.in_(list(ACTIONS)), AuditEntry.object_id.is_not(None))
                              .order_by(AuditEntry.id.desc())).all()
    for action, kind, object_id in rows:
        event_type = ACTIONS[action]
        declared = content.hook(kind, "events") or {}
        if event_type not in declared or (kind, object_id, event_type) in seen:
            continue
        seen.add((kind, object_id, event_type))
        found.append((kind, object_id, event_type))
        if len(found) == limit:
            break
    return list(reversed(found))


@register_demo(order=85)
def load_notifications_demo(ctx):
    residents = [u for u in ctx.get("users", {}).values() if not u.roles and u.email][:6]
    if not residents:
        return
    happenings = _happenings()
    for i, person in enumerate(residents):
        if person.district_id:
            follows.follow(person, "district", person.district_id)
        for j, (kind, object_id, _type) in enumerate(happenings):
            if (i + j) % 2 == 0:  # each resident follows about half of the items
                follows.auto_follow(person, kind, object_id)
    services.set_preferences(residents[0], residents[0], {"answers:mail": "weekly", "progress:mail": "off"})
    if len(residents) > 1:
        services.set_preferences(residents[1], residents[1], {"answers:mail": "immediately"})
    db.session.commit()
    for kind, object_id, event_type in happenings:
        events.emit(kind, object_id, event_type)
        db.session.commit()  # each fan-out runs after its commit, as in production
    # Some of them already read.
    first = db.session.scalars(sa.select(Notification).where(Notification.user_id == residents[0].id)
                               .order_by(Notification.id).limit(2)).all()
    for n in first:
        services.mark_read(residents[0], n.id)
    db.session.commit()
