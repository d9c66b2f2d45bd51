"""What the pages and the API read about participation and results. The
results themselves are computed once, after closing, by ``jobs.compute_results``
with the pure ``tally``; here they are only read."""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import District
from civic.extensions import db

from ..models import AnonymousResponse, Consultation, ConsultationParticipation, FreeTextAnswer, Review


def participation_counts(consultation_ids) -> dict[int, int]:
    """Number of responses per consultation (one query)."""
    ids = list(consultation_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(ConsultationParticipation.consultation_id, sa.func.count()).where(
        ConsultationParticipation.consultation_id.in_(ids)).group_by(ConsultationParticipation.consultation_id)).all()
    return {cid: n for cid, n in rows}


def participation_by_district(c: Consultation) -> list[dict]:
    """Responses per district: a count, never answers, so shown while open."""
    rows = db.session.execute(
        sa.select(AnonymousResponse.district_id, District.code, District.name, sa.func.count())
        .select_from(AnonymousResponse).outerjoin(District, District.id == AnonymousResponse.district_id)
        .where(AnonymousResponse.consultation_id == c.id)
        .group_by(AnonymousResponse.district_id, District.code, District.name).order_by(District.code)).all()
    return [{"district_id": d, "code": code, "name": name, "count": n} for d, code, name, n in rows]


def published_texts(c: Consultation, question_id: int | None = None, *, page: int = 1, per_page: int = 50):
    """Free texts cleared by a moderator (none if the consultation keeps them private)."""
    if c.free_text_private:
        return [], False
    stmt = sa.select(FreeTextAnswer).where(FreeTextAnswer.consultation_id == c.id,
                                           FreeTextAnswer.review == Review.APPROVED)
    if question_id is not None:
        stmt = stmt.where(FreeTextAnswer.question_id == question_id)
    # Ordered by random id: no order that could hint at who wrote what.
    rows = db.session.scalars(stmt.order_by(FreeTextAnswer.id).offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def published_text_counts(c: Consultation) -> dict[int, int]:
    """Cleared free texts per question id."""
    if c.free_text_private:
        return {}
    rows = db.session.execute(sa.select(FreeTextAnswer.question_id, sa.func.count()).where(
        FreeTextAnswer.consultation_id == c.id, FreeTextAnswer.review == Review.APPROVED)
        .group_by(FreeTextAnswer.question_id)).all()
    return dict(rows)
