"""Reading debates and comment threads with a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from civic.core import content
from civic.core.permissions import is_user
from civic.deliberation import ranking
from civic.deliberation.models import Alignment, Comment, Debate, DebateState, Reaction, ReactionValue
from civic.extensions import db

ORDERS = ("constructive", "newest", "oldest")
# Threads per page: ten conversations keep a page within the 60 KB budget in ordinary use.
PER_PAGE = 10
API_PER_PAGE = 20
DEBATES_PER_PAGE = 20


@dataclass
class Node:
    comment: Comment
    parent: Comment | None = None
    replies: list[Node] = field(default_factory=list)
    useful: int = 0
    not_useful: int = 0
    mine: str | None = None

    @property
    def gone(self) -> bool:
        return self.comment.deleted_at is not None or self.comment.hidden_at is not None


@dataclass
class ThreadPage:
    threads: list[Node]
    order: str
    page: int
    has_next: bool
    total: int
    hidden_count: int


def _top_level_rows(kind: str, object_id: int) -> list:
    rows = db.session.execute(
        sa.select(Comment.id, Comment.created_at, Comment.alignment, Comment.deleted_at, Comment.hidden_at)
        .where(Comment.kind == kind, Comment.object_id == object_id, Comment.parent_id.is_(None))
    ).all()
    return [SimpleNamespace(id=r.id, created_at=r.created_at, alignment=r.alignment,
                            gone=r.deleted_at is not None or r.hidden_at is not None) for r in rows]


def ordered_top_level(kind: str, object_id: int, order: str, sided: bool) -> list:
    """Top-level comments of the item (light rows) in the requested order."""
    rows = _top_level_rows(kind, object_id)
    if not rows:  # most items have no comment: skip the reactions query
        return rows
    if order == "newest":
        return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    if order == "oldest":
        return sorted(rows, key=lambda r: (r.created_at, r.id))
    group_of = content.opinion_groups(kind, object_id) if sided else None
    if group_of:
        names = sorted({f"group-{g}" for g in group_of.values()})
        if len(names) > 1:
            return ranking.rank_by_groups(rows, ranking.group_counts(kind, object_id, group_of), names)
    return ranking.rank(rows, ranking.reaction_counts(kind, object_id), sided)


def comment_totals(kind: str, object_id: int) -> tuple[int, int]:
    """(visible comments, comments hidden by moderation) on the item."""
    visible, hidden = db.session.execute(
        sa.select(sa.func.count().filter(Comment.hidden_at.is_(None), Comment.deleted_at.is_(None)),
                  sa.func.count().filter(Comment.hidden_at.is_not(None)))
        .where(Comment.kind == kind, Comment.object_id == object_id)
    ).one()
    return visible or 0, hidden or 0


def thread_page(kind: str, object_id: int, user=None, order: str = "constructive", page: int = 1,
                per_page: int = PER_PAGE, sided: bool = False) -> ThreadPage:
    """One page of threads: top-level comments in ``order``, each with its
    replies (oldest first, as a conversation reads)."""
    order = order if order in ORDERS else "constructive"
    page = max(1, page)
    rows = ordered_top_level(kind, object_id, order, sided)
    start = (page - 1) * per_page
    page_ids = [r.id for r in rows[start:start + per_page]]
    has_next = len(rows) > start + per_page
    # Every comment hangs from a top-level one: none of those, nothing to count.
    total, hidden = comment_totals(kind, object_id) if rows else (0, 0)
    if not page_ids:
        return ThreadPage([], order, page, False, total, hidden)
    comments = db.session.scalars(
        sa.select(Comment).where(sa.or_(Comment.id.in_(page_ids), Comment.root_id.in_(page_ids)))
        .options(selectinload(Comment.author)).order_by(Comment.created_at, Comment.id)
    ).all()
    ids = [c.id for c in comments]
    counts: dict[int, dict] = {}
    for cid, value, n in db.session.execute(
            sa.select(Reaction.comment_id, Reaction.value, sa.func.count())
            .where(Reaction.comment_id.in_(ids)).group_by(Reaction.comment_id, Reaction.value)):
        counts.setdefault(cid, {})[ReactionValue(value)] = n
    mine = {}
    if is_user(user):
        mine = dict(db.session.execute(sa.select(Reaction.comment_id, Reaction.value)
                                       .where(Reaction.user_id == user.id, Reaction.comment_id.in_(ids))).all())
    by_id = {c.id: c for c in comments}
    nodes = {}
    for c in comments:
        n = counts.get(c.id, {})
        value = mine.get(c.id)
        nodes[c.id] = Node(c, by_id.get(c.parent_id), useful=n.get(ReactionValue.USEFUL, 0),
                           not_useful=n.get(ReactionValue.NOT_USEFUL, 0),
                           mine=ReactionValue(value).value if value else None)
    for c in comments:
        if c.parent_id is not None and c.parent_id in nodes:
            nodes[c.parent_id].replies.append(nodes[c.id])
    return ThreadPage([nodes[i] for i in page_ids if i in nodes], order, page, has_next, total, hidden)


def alignment_counts(kind: str, object_ids) -> dict[int, dict[str, int]]:
    """Visible contributions per alignment for each item (one query)."""
    out = {oid: {a.value: 0 for a in Alignment} for oid in object_ids}
    if not out:
        return out
    for oid, alignment, n in db.session.execute(
            sa.select(Comment.object_id, Comment.alignment, sa.func.count())
            .where(Comment.kind == kind, Comment.object_id.in_(list(out)), Comment.alignment.is_not(None),
                   Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
            .group_by(Comment.object_id, Comment.alignment)):
        out[oid][Alignment(alignment).value] = n
    return out


def debate_summary(debate: Debate, per_side: int = 3) -> dict:
    """Counts for / against / neutral and the most constructive arguments on each side."""
    counts = alignment_counts("debate", [debate.id])[debate.id]
    rows = ordered_top_level("debate", debate.id, "constructive", sided=True)
    best: dict[str, list[int]] = {"for": [], "against": []}
    for r in rows:
        side = r.alignment.value if r.alignment else None
        if not r.gone and side in best and len(best[side]) < per_side:
            best[side].append(r.id)
    wanted = best["for"] + best["against"]
    loaded = {c.id: c for c in db.session.scalars(
        sa.select(Comment).where(Comment.id.in_(wanted)).options(selectinload(Comment.author)))} if wanted else {}
    return {"counts": counts, "total": sum(counts.values()),
            "best": {side: [loaded[i] for i in ids if i in loaded] for side, ids in best.items()}}


def list_debates(state: str | None = None, district_id: int | None = None, page: int = 1,
                 per_page: int = DEBATES_PER_PAGE) -> tuple[list[Debate], bool]:
    """Visible debates, newest first; ``district_id`` 0 means city-wide only."""
    stmt = sa.select(Debate).where(Debate.hidden_at.is_(None))
    if state in (DebateState.OPEN.value, DebateState.CLOSED.value):
        stmt = stmt.where(Debate.state == DebateState(state))
    if district_id == 0:
        stmt = stmt.where(Debate.district_id.is_(None))
    elif district_id:
        stmt = stmt.where(Debate.district_id == district_id)
    page = max(1, page)
    rows = db.session.scalars(stmt.options(selectinload(Debate.district))
                              .order_by(Debate.created_at.desc(), Debate.id.desc())
                              .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def reaction_totals(comment_id: int, user=None) -> tuple[int, int, str | None]:
    """(useful, not useful, the person's own choice) for one comment."""
    rows = dict(db.session.execute(sa.select(Reaction.value, sa.func.count())
                                   .where(Reaction.comment_id == comment_id).group_by(Reaction.value)).all())
    mine = None
    if is_user(user):
        mine = db.session.scalar(sa.select(Reaction.value).where(Reaction.comment_id == comment_id,
                                                                 Reaction.user_id == user.id))
    return (rows.get(ReactionValue.USEFUL, 0), rows.get(ReactionValue.NOT_USEFUL, 0),
            ReactionValue(mine).value if mine else None)
