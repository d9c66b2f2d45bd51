"""Cases: one open review per reported (or pre-moderated) item, the
moderators' queue of them by priority, and the page of one case."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from civic.accounts.models import User
from civic.core.errors import InvalidTransition, NotFound
from civic.core.permissions import require, require_login
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation import labels, permissions
from civic.moderation.models import CaseSource, CaseStatus, Decision, DecisionType, ModerationCase, Report
from civic.moderation.services.common import describe, insert_or_nothing, item, item_text, load_items


def open_case(kind_name: str, object_id: int, kind, obj, source: CaseSource) -> ModerationCase:
    """The item's open case, created if needed. Two first reports racing meet
    the partial unique index: the loser reads the winner's case."""
    stmt = sa.select(ModerationCase).where(ModerationCase.kind == kind_name, ModerationCase.object_id == object_id,
                                           ModerationCase.status == CaseStatus.OPEN)
    case = db.session.scalar(stmt)
    if case is not None:
        return case
    case_id = insert_or_nothing(ModerationCase, kind=kind_name, object_id=object_id, source=source,
                                status=CaseStatus.OPEN, district_id=kind.district_id(obj),
                                author_id=kind.author_id(obj), report_count=0, created_at=utcnow())
    if case_id is not None:
        return db.session.get(ModerationCase, case_id)
    case = db.session.scalar(stmt)
    if case is None:  # the other case was decided in between: unlikely, but say so clearly
        raise InvalidTransition()
    return case


def queue_order():
    """Hidden pending review first, then most reported, then oldest."""
    return (sa.case((ModerationCase.hidden_at.is_not(None), 0), else_=1), ModerationCase.report_count.desc(),
            ModerationCase.created_at, ModerationCase.id)


def author_histories(user_ids) -> dict[int, dict[str, int]]:
    """Counts of past decisions about each person, by type (one query)."""
    ids = sorted({u for u in user_ids if u})
    out: dict[int, dict[str, int]] = {u: {} for u in ids}
    if not ids:
        return out
    rows = db.session.execute(
        sa.select(Decision.subject_user_id, Decision.type, sa.func.count())
        .where(Decision.subject_user_id.in_(ids), Decision.reversed_at.is_(None))
        .group_by(Decision.subject_user_id, Decision.type)).all()
    for uid, dtype, n in rows:
        out[uid][DecisionType(dtype).value] = n
    return out


def moderation_queue(actor, page: int = 1, per_page: int = 20) -> tuple[list[dict], bool]:
    """Open cases in the actor's districts, by priority, with the item, its
    context, the reports and the author's history. Runs a constant number of
    queries whatever the page size (one per kind present on the page)."""
    require_login(actor)
    require(permissions.can_view_queue(actor))
    page = max(1, page)
    cases = db.session.scalars(
        sa.select(ModerationCase)
        .where(ModerationCase.status == CaseStatus.OPEN,
               permissions.moderated_scope(actor, ModerationCase.district_id))
        .order_by(*queue_order()).offset((page - 1) * per_page).limit(per_page + 1)).all()
    has_next = len(cases) > per_page
    cases = cases[:per_page]
    if not cases:
        return [], has_next
    reports: dict[int, list[Report]] = defaultdict(list)
    for r in db.session.scalars(sa.select(Report).where(Report.case_id.in_([c.id for c in cases]))
                                .order_by(Report.created_at, Report.id)).all():
        reports[r.case_id].append(r)
    items = load_items((c.kind, c.object_id) for c in cases)
    author_ids = {c.author_id for c in cases if c.author_id}
    authors = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(author_ids)))} if author_ids else {}
    histories = author_histories(author_ids)
    rows = []
    for c in cases:
        by_reason: dict[str, int] = defaultdict(int)
        for r in reports[c.id]:
            by_reason[labels.reason_label(r.reason)] += 1
        rows.append({
            "case": c, "item": describe(c.kind, c.object_id, items.get((c.kind, c.object_id))),
            "reports": reports[c.id], "by_reason": sorted(by_reason.items(), key=lambda kv: -kv[1]),
            "author": authors.get(c.author_id), "history": histories.get(c.author_id, {}),
        })
    return rows, has_next


def open_case_count(actor) -> int:
    """Open cases in the actor's districts (one query)."""
    require_login(actor)
    require(permissions.can_view_queue(actor))
    return db.session.scalar(sa.select(sa.func.count()).select_from(ModerationCase).where(
        ModerationCase.status == CaseStatus.OPEN, permissions.moderated_scope(actor, ModerationCase.district_id)))


def get_case(actor, case_id: int) -> ModerationCase:
    """A case the actor moderates (404 if there is none, 403 if not theirs)."""
    require_login(actor)  # before the lookup: an anonymous visitor learns nothing of which cases exist
    require(permissions.can_view_queue(actor))  # nor does a person who moderates nowhere
    case = db.session.get(ModerationCase, case_id)
    if case is None:
        raise NotFound()
    require(permissions.can_moderate_case(actor, case))
    return case


def case_detail(actor, case_id: int) -> dict:
    """Everything a moderator needs to decide one case."""
    case = get_case(actor, case_id)
    kind, obj = item(case.kind, case.object_id)
    reports = db.session.scalars(sa.select(Report).where(Report.case_id == case.id)
                                 .order_by(Report.created_at, Report.id)).all()
    earlier = db.session.scalars(sa.select(Decision).where(
        Decision.kind == case.kind, Decision.object_id == case.object_id, Decision.case_id != case.id)
        .order_by(Decision.created_at.desc())).all()
    author = db.session.get(User, case.author_id) if case.author_id else None
    history = db.session.scalars(sa.select(Decision).where(Decision.subject_user_id == case.author_id)
                                 .order_by(Decision.created_at.desc()).limit(10)).all() if author else []
    decision = case.decision
    return {
        "case": case, "item": describe(case.kind, case.object_id, obj), "text": item_text(kind, obj),
        "can_redact": obj is not None and bool(kind.hooks.get("redact")) and bool(kind.hooks.get("text")),
        "can_hide": obj is not None and bool(kind.hooks.get("set_hidden")),
        "reports": reports, "earlier": earlier, "author": author, "history": history,
        "decision": decision,
        "moderator": db.session.get(User, decision.moderator_id) if decision and decision.moderator_id else None,
    }
