"""Reads for the conversation pages: the next statement to vote on, progress,
the viewer's votes. Each is one query (the pages count them in tests)."""

from __future__ import annotations

import sqlalchemy as sa

from civic.conversations.models import Statement, StatementVote
from civic.extensions import db


def _visible(conversation_id: int):
    return sa.and_(Statement.conversation_id == conversation_id, Statement.hidden_at.is_(None))


def next_statement(conversation_id: int, user_id: int) -> Statement | None:
    """The next statement this person has not voted on: the officials' opening
    statements first, then those with the fewest votes (so new statements get
    seen), oldest first among equals."""
    voted = sa.select(StatementVote.statement_id).where(StatementVote.user_id == user_id,
                                                        StatementVote.conversation_id == conversation_id)
    votes = (sa.select(sa.func.count(StatementVote.id)).where(StatementVote.statement_id == Statement.id)
             .correlate(Statement).scalar_subquery())
    return db.session.scalar(
        sa.select(Statement).where(_visible(conversation_id), Statement.id.not_in(voted))
        .order_by(Statement.seeded.desc(), votes, Statement.id).limit(1))


def progress(conversation_id: int, user_id: int | None) -> tuple[int, int]:
    """(statements this person voted on, visible statements)."""
    # Without a user, the join matches nothing (``user_id IS NULL`` would match imported votes).
    mine = StatementVote.user_id == user_id if user_id is not None else sa.false()
    row = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Statement.id)), sa.func.count(StatementVote.id))
        .select_from(Statement)
        .outerjoin(StatementVote, sa.and_(StatementVote.statement_id == Statement.id, mine))
        .where(_visible(conversation_id))).one()
    return int(row[1]), int(row[0])


def my_votes(conversation_id: int, user_id: int) -> list[tuple[Statement, int]]:
    """This person's votes, newest first, with their statements."""
    return db.session.execute(
        sa.select(Statement, StatementVote.value).join(StatementVote, StatementVote.statement_id == Statement.id)
        .where(_visible(conversation_id), StatementVote.user_id == user_id)
        .order_by(StatementVote.voted_at.desc(), StatementVote.id.desc())).all()


def statements(conversation_id: int) -> list[Statement]:
    """Every visible statement, oldest first."""
    return db.session.scalars(sa.select(Statement).where(_visible(conversation_id)).order_by(Statement.id)).all()


def final_votes(conversation_id: int):
    """The votes on visible statements for the open-data export, in id order:
    (statement id, voter key, value, voted_at); voter keys are user ids or
    imported participant ids, which the export replaces by numbers."""
    return db.session.execute(
        sa.select(StatementVote.statement_id, StatementVote.user_id, StatementVote.participant,
                  StatementVote.value, StatementVote.voted_at)
        .join(Statement, Statement.id == StatementVote.statement_id)
        .where(_visible(conversation_id)).order_by(StatementVote.id)).all()
