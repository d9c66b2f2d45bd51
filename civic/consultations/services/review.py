"""Moderators review free-text answers for personal data before they are published."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core import audit
from civic.core.errors import InvalidTransition, NotFound
from civic.core.permissions import MODERATOR, districts_of, require, require_login
from civic.core.sanitize import clean_text
from civic.core.transitions import transition
from civic.extensions import db

from .. import permissions
from ..models import REVIEW_FLOW, Consultation, ConsultationQuestion, FreeTextAnswer, Review, Status


def review_queue(actor, *, page: int = 1, per_page: int = 30):
    """Free texts of closed consultations waiting for review, in the
    moderator's districts. Returns (rows of (FreeTextAnswer, Consultation, ConsultationQuestion), has_next)."""
    require_login(actor)
    require(permissions.can_review_free_texts(actor))
    stmt = (sa.select(FreeTextAnswer, Consultation, ConsultationQuestion)
            .join(Consultation, Consultation.id == FreeTextAnswer.consultation_id)
            .join(ConsultationQuestion, ConsultationQuestion.id == FreeTextAnswer.question_id)
            .where(FreeTextAnswer.review == Review.PENDING, Consultation.status == Status.CLOSED,
                   Consultation.free_text_private.is_(False)))
    scope = districts_of(actor, MODERATOR)
    if scope is not None:
        stmt = stmt.where(Consultation.district_id.in_(scope))
    rows = db.session.execute(stmt.order_by(Consultation.id, ConsultationQuestion.position, FreeTextAnswer.id)
                              .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def review_free_text(actor, text_id, approve: bool, reason: str = "") -> FreeTextAnswer:
    """Publish a free-text answer, or exclude it (personal data, insults...)."""
    require_login(actor)
    require(permissions.can_review_free_texts(actor))  # moderators only, before the lookup
    try:
        key = text_id if isinstance(text_id, uuid.UUID) else uuid.UUID(str(text_id))
    except ValueError:
        raise NotFound() from None
    text = db.session.get(FreeTextAnswer, key)
    if text is None:
        raise NotFound()
    c = db.session.get(Consultation, text.consultation_id)
    require(permissions.can_review_free_text(actor, c))
    if c.status != Status.CLOSED:
        raise InvalidTransition(_("Free texts are reviewed once the consultation is closed."))
    if c.free_text_private:
        raise InvalidTransition(_("This consultation keeps free texts private."))
    # Audited below on the consultation, as the moderation log reads it.
    transition(text, REVIEW_FLOW, Review.APPROVED if approve else Review.EXCLUDED, actor, None, attr="review")
    db.session.flush()
    audit.record(actor, "consultation.free_text_approved" if approve else "consultation.free_text_excluded",
                 "consultation", c.id, reason=clean_text(reason) or None, text=str(text.id))
    return text
