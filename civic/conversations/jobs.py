"""Job bodies: computing opinion groups out of the request.

A vote enqueues :func:`compute_groups` every ``RECOMPUTE_EVERY_VOTES`` votes;
the periodic :func:`refresh_stale` catches whatever a lost Redis dropped or
the votes in between. A per-conversation lock keeps two workers from
computing the same conversation at once; the computation itself is
idempotent (see :mod:`civic.conversations.results`).
"""

from __future__ import annotations

import sqlalchemy as sa

from civic.conversations.models import Conversation, ConversationResult
from civic.conversations.results import compute_and_store
from civic.core.jobs import job_lock
from civic.extensions import db


def compute_groups(conversation_id: int) -> bool:
    """Recompute one conversation's groups if its votes changed; True if it ran."""
    with job_lock(f"conversations.groups:{conversation_id}", ttl=600) as got:
        if not got:
            return False
        compute_and_store(conversation_id)
        db.session.commit()
        return True


def refresh_stale() -> int:
    """Every conversation whose votes changed since its last result (periodic)."""
    stale = db.session.scalars(
        sa.select(Conversation.id).outerjoin(ConversationResult, ConversationResult.conversation_id == Conversation.id)
        .where(Conversation.changes > 0,
               sa.or_(ConversationResult.changes.is_(None), ConversationResult.changes != Conversation.changes))
        .order_by(Conversation.id)).all()
    db.session.rollback()
    return sum(1 for conversation_id in stale if compute_groups(conversation_id))
