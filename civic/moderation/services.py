"""Moderation services: reports, auto-hide, pre-moderation, decisions, blocks, appeals.

Every function takes the actor, checks permission first, validates, changes
the rows, writes the audit entry and outbox mails, and flushes; the caller
commits. Items are reached only through the content registry hooks
(``set_hidden``, ``redact``, ``text``, ``authored_by``, ``excerpt``,
``context``), so the same code serves petitions, comments, debates, projects
and proposals. Moderation never deletes content: it hides and restores.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, selectinload

from civic.accounts.models import Role, User, UserRole
from civic.core import audit, content, security
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, RateLimited, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import is_user, require_contributor, require_login, require_role
from civic.core.sanitize import clean_text
from civic.core.settings import get_setting
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.moderation import labels
from civic.moderation.models import (
    APPEALABLE,
    Appeal,
    AppealStatus,
    CaseSource,
    CaseStatus,
    Decision,
    DecisionType,
    Hold,
    HoldCause,
    ModerationCase,
    Report,
    ReportReason,
)

log = logging.getLogger("civic.moderation")

# Permanent blocks: a date no one will live to see, so ``User.is_blocked`` needs no special case.
FAR_FUTURE = datetime(9999, 12, 31)
MAX_DETAILS = 1000
MAX_STATEMENT = 4000
MIN_STATEMENT = 20
MAX_APPEAL = 4000
REPORTS_PER_HOUR = 30

SETTING_THRESHOLD = "moderation.auto_hide_threshold"
SETTING_PREMODERATED = "moderation.premoderated_kinds"
SETTING_DIGEST = "moderation.digest_interval"


# --- settings and helpers -------------------------------------------------------

def auto_hide_threshold() -> int:
    return int(get_setting(SETTING_THRESHOLD))


def premoderated_kinds() -> list[str]:
    raw = get_setting(SETTING_PREMODERATED) or ""
    return [k.strip() for k in raw.split(",") if k.strip()]


def _item(kind_name: str, object_id: int):
    """Load an item without the visibility check (moderators see hidden items)."""
    kind = content.get_kind(kind_name)
    return kind, db.session.get(kind.model, object_id)


def item_title(kind, obj) -> str:
    if obj is None:
        return _("Content no longer available")
    return kind.title(obj)


def item_text(kind, obj) -> str:
    """The raw text of an item for moderators: ``text`` hook, else ``excerpt``."""
    if obj is None:
        return ""
    for name in ("text", "excerpt"):
        fn = kind.hooks.get(name)
        if fn:
            return fn(obj) or ""
    return ""


def _active_holds(kind_name: str, object_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Hold).where(
        Hold.kind == kind_name, Hold.object_id == object_id, Hold.released_at.is_(None)))


def _set_hidden(kind_name: str, object_id: int, hidden: bool) -> None:
    kind, obj = _item(kind_name, object_id)
    fn = kind.hooks.get("set_hidden")
    if obj is None or fn is None:
        return
    fn(obj, hidden)


def _add_hold(kind_name: str, object_id: int, cause: HoldCause, ref_id: int, at: datetime | None = None) -> bool:
    """Hide an item for one more reason. Returns True if the item became hidden."""
    before = _active_holds(kind_name, object_id)
    db.session.add(Hold(kind=kind_name, object_id=object_id, cause=cause, ref_id=ref_id, created_at=at or utcnow()))
    db.session.flush()
    if before == 0:
        _set_hidden(kind_name, object_id, True)
        return True
    return False


def _release_holds(cause: HoldCause, ref_id: int, at: datetime | None = None) -> list[tuple[str, int]]:
    """Release the holds of one cause; restore the items that have no other.
    Returns the items made visible again."""
    holds = db.session.scalars(sa.select(Hold).where(
        Hold.cause == cause, Hold.ref_id == ref_id, Hold.released_at.is_(None))).all()
    restored = []
    for hold in holds:
        hold.released_at = at or utcnow()
    db.session.flush()
    for hold in holds:
        if _active_holds(hold.kind, hold.object_id) == 0:
            _set_hidden(hold.kind, hold.object_id, False)
            restored.append((hold.kind, hold.object_id))
    return restored


def is_held(kind_name: str, object_id: int) -> bool:
    return _active_holds(kind_name, object_id) > 0


def moderators_for(district_id: int | None) -> list[User]:
    """People to alert about an item: moderators whose scope covers its
    district (city-wide items: unlimited moderators). Administrators hold
    every role but are only alerted when no moderator is appointed, so that
    nothing goes unseen without flooding them."""
    stmt = (sa.select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.MODERATOR, User.deleted_at.is_(None), User.email.is_not(None)))
    if district_id is None:
        stmt = stmt.where(UserRole.district_id.is_(None))
    else:
        stmt = stmt.where(sa.or_(UserRole.district_id.is_(None), UserRole.district_id == district_id))
    users = db.session.scalars(stmt.distinct().order_by(User.id)).all()
    if not users:
        users = db.session.scalars(
            sa.select(User).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMIN, User.deleted_at.is_(None), User.email.is_not(None))
            .distinct().order_by(User.id)).all()
    return list(users)


def _clean_statement(statement: str | None, field: str = "statement") -> str:
    text = clean_text(statement, multiline=True)
    if len(text) < MIN_STATEMENT:
        raise ValidationError(fields={field: _("Explain the reasons in at least %(n)d characters: the person "
                                               "concerned receives this text.", n=MIN_STATEMENT)})
    if len(text) > MAX_STATEMENT:
        raise ValidationError(fields={field: _("Use at most %(n)d characters.", n=MAX_STATEMENT)})
    return text


def _reason(code, field: str = "reason", required: bool = True) -> ReportReason | None:
    if not code:
        if required:
            raise ValidationError(fields={field: _("Choose a reason from the list.")})
        return None
    try:
        return ReportReason(code)
    except ValueError:
        raise ValidationError(fields={field: _("Choose a reason from the list.")}) from None


def _open_case(kind_name: str, object_id: int, kind, obj, source: CaseSource) -> ModerationCase:
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


def insert_or_nothing(model, **values) -> int | None:
    """INSERT that does nothing on a unique conflict; returns the new id or None.

    Used where two requests may race for the same unique row (one open case
    per item, one report per person, one appeal per decision). A savepoint
    would also work, but releasing one fires the session's after-commit hook,
    which dispatches already-queued jobs before the real commit.
    """
    table = model.__table__
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return db.session.execute(stmt).scalar()


def _can_mail(user: User | None) -> bool:
    return user is not None and user.deleted_at is None and bool(user.email)


# --- reporting ------------------------------------------------------------------

def reportable(actor, kind_name: str, object_id: int):
    """The ``(kind, item)`` the actor may report: visible to them, not theirs,
    and the actor may contribute (confirmed address, not blocked)."""
    require_contributor(actor)
    kind, obj = content.load(kind_name, object_id, actor)
    if kind.author_id(obj) == actor.id:
        raise PermissionDenied(_("You cannot report your own contribution."))
    return kind, obj


def _rate_limit_reports(actor) -> None:
    # Counted before any write of the transaction: on SQLite the counter is
    # written on its own connection.
    allowed, retry = security.hit(f"moderation-report:{actor.id}", REPORTS_PER_HOUR, 3600)
    if not allowed:
        raise RateLimited(retry_after=retry)


def report_content(actor, kind_name: str, object_id: int, reason, details: str | None = "") -> Report:
    """Report an item the actor can see, once, with a reason.

    When the item's open case reaches the auto-hide threshold of reports from
    distinct people, the item is hidden pending review and moderators are
    alerted at once.
    """
    kind, obj = reportable(actor, kind_name, object_id)
    _rate_limit_reports(actor)
    code = _reason(reason)
    details = clean_text(details, multiline=True)
    if len(details) > MAX_DETAILS:
        raise ValidationError(fields={"details": _("Use at most %(n)d characters.", n=MAX_DETAILS)})
    if code == ReportReason.OTHER and not details:
        raise ValidationError(fields={"details": _("Say briefly what the problem is.")})
    already = db.session.scalar(sa.select(Report.id).where(
        Report.kind == kind_name, Report.object_id == object_id, Report.reporter_id == actor.id))
    if already:
        raise ValidationError(_("You have already reported this. Moderators will look at it."))
    case = _open_case(kind_name, object_id, kind, obj, CaseSource.REPORTS)
    now = utcnow()
    report_id = insert_or_nothing(Report, kind=kind_name, object_id=object_id, case_id=case.id,
                                  reporter_id=actor.id, reason=code, details=details or None, created_at=now)
    if report_id is None:  # the same person, twice at once: the unique constraint decided
        raise ValidationError(_("You have already reported this. Moderators will look at it."))
    report = db.session.get(Report, report_id)
    table = ModerationCase.__table__
    db.session.execute(table.update().where(table.c.id == case.id).values(
        report_count=table.c.report_count + 1,
        first_reported_at=sa.func.coalesce(table.c.first_reported_at, now)))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Report).where(Report.case_id == case.id))
    audit.record(actor, "moderation.reported", kind_name, object_id, reason=code.value, case_id=case.id)
    if count >= auto_hide_threshold() and case.source == CaseSource.REPORTS:
        # Conditional update: of several reports crossing the threshold at
        # once, one hides the item and alerts moderators.
        hidden = db.session.execute(table.update().where(
            table.c.id == case.id, table.c.hidden_at.is_(None), table.c.status == CaseStatus.OPEN
        ).values(hidden_at=now)).rowcount
        if hidden:
            _add_hold(kind_name, object_id, HoldCause.REVIEW, case.id, now)
            audit.record(None, "moderation.auto_hidden", kind_name, object_id, reports=count, case_id=case.id)
            _alert_auto_hidden(case, kind, obj, count)
    db.session.expire(case)
    db.session.flush()
    return report


def _alert_auto_hidden(case: ModerationCase, kind, obj, count: int) -> None:
    url = absolute_url("moderation.case", case_id=case.id)
    title = item_title(kind, obj)
    for mod in moderators_for(case.district_id):
        queue_mail(mod.email, lambda: _("Hidden pending review: %(title)s", title=title[:200]),
                   "moderation/auto_hidden",
                   {"user": mod, "title": title, "kind_label": str(kind.label()), "count": count, "url": url,
                    "excerpt": item_text(kind, obj)[:500]},
                   user=mod, dedupe_key=f"moderation:auto-hidden:{case.id}:{mod.id}")


def has_reported(user, kind_name: str, object_id: int) -> datetime | None:
    if not is_user(user):
        return None
    return db.session.scalar(sa.select(Report.created_at).where(
        Report.kind == kind_name, Report.object_id == object_id, Report.reporter_id == user.id))


# --- pre-moderation ---------------------------------------------------------------

def on_item_created(kind_name: str, obj, actor=None) -> None:
    """Creation listener: items of pre-moderated kinds are hidden until a
    moderator approves them. Moderators' own contributions are not held."""
    if kind_name not in premoderated_kinds():
        return
    kind = content.get_kind(kind_name)
    if kind.hooks.get("set_hidden") is None:
        log.warning("kind %s is pre-moderated but cannot be hidden (no set_hidden hook)", kind_name)
        return
    district_id = kind.district_id(obj)
    if is_user(actor) and actor.has_role(Role.MODERATOR, district_id):
        return
    case = _open_case(kind_name, obj.id, kind, obj, CaseSource.PREMODERATION)
    if case.hidden_at is None:
        now = utcnow()
        case.hidden_at = now
        db.session.flush()
        _add_hold(kind_name, obj.id, HoldCause.REVIEW, case.id, now)
        audit.record(None, "moderation.premoderated", kind_name, obj.id, case_id=case.id)


# --- the queue --------------------------------------------------------------------

def require_moderator(actor) -> None:
    """Logged in and a moderator somewhere (or an administrator)."""
    require_login(actor)
    if not actor.has_any_role(Role.MODERATOR):
        raise PermissionDenied()


def _scope_filter(actor, column):
    """SQL condition limiting ``column`` (a district id) to the actor's
    moderation districts; city-wide items only for unlimited moderators."""
    scope = actor.role_districts(Role.MODERATOR)
    if scope is None:
        return sa.true()
    if not scope:
        return sa.false()
    return column.in_(sorted(scope))


def queue_order():
    """Hidden pending review first, then most reported, then oldest."""
    return (sa.case((ModerationCase.hidden_at.is_not(None), 0), else_=1), ModerationCase.report_count.desc(),
            ModerationCase.created_at, ModerationCase.id)


def load_items(pairs) -> dict[tuple[str, int], object]:
    """Load many ``(kind, id)`` items with one query per kind."""
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind_name, object_id in pairs:
        by_kind[kind_name].add(object_id)
    found = {}
    for kind_name, ids in by_kind.items():
        try:
            kind = content.get_kind(kind_name)
        except NotFound:
            continue
        pk = sa.inspect(kind.model).primary_key[0]
        for obj in db.session.scalars(sa.select(kind.model).where(pk.in_(ids))).all():
            found[(kind_name, getattr(obj, pk.key))] = obj
    return found


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


def _describe(kind_name: str, object_id: int, obj) -> dict:
    try:
        kind = content.get_kind(kind_name)
    except NotFound:
        return {"kind": kind_name, "kind_label": kind_name, "title": _("Content no longer available"),
                "url": None, "excerpt": "", "context": None}
    ctx = kind.hooks.get("context")
    excerpt = kind.hooks.get("excerpt")
    return {
        "kind": kind_name, "kind_label": str(kind.label()), "title": item_title(kind, obj),
        "url": kind.url(obj) if obj is not None else None,
        "excerpt": (excerpt(obj) if excerpt else item_text(kind, obj)) if obj is not None else "",
        "context": ctx(obj) if (ctx and obj is not None) else None,
    }


def moderation_queue(actor, page: int = 1, per_page: int = 20) -> tuple[list[dict], bool]:
    """Open cases in the actor's districts, by priority, with the item, its
    context, the reports and the author's history. Runs a constant number of
    queries whatever the page size (one per kind present on the page)."""
    require_moderator(actor)
    page = max(1, page)
    cases = db.session.scalars(
        sa.select(ModerationCase)
        .where(ModerationCase.status == CaseStatus.OPEN, _scope_filter(actor, ModerationCase.district_id))
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
            "case": c, "item": _describe(c.kind, c.object_id, items.get((c.kind, c.object_id))),
            "reports": reports[c.id], "by_reason": sorted(by_reason.items(), key=lambda kv: -kv[1]),
            "author": authors.get(c.author_id), "history": histories.get(c.author_id, {}),
        })
    return rows, has_next


def open_case_count(actor) -> int:
    """Open cases in the actor's districts (one query)."""
    require_moderator(actor)
    return db.session.scalar(sa.select(sa.func.count()).select_from(ModerationCase).where(
        ModerationCase.status == CaseStatus.OPEN, _scope_filter(actor, ModerationCase.district_id)))


def get_case(actor, case_id: int) -> ModerationCase:
    require_login(actor)  # before the lookup: an anonymous visitor learns nothing of which cases exist
    case = db.session.get(ModerationCase, case_id)
    if case is None:
        raise NotFound()
    require_role(actor, Role.MODERATOR, case.district_id)
    return case


def case_detail(actor, case_id: int) -> dict:
    """Everything a moderator needs to decide one case."""
    case = get_case(actor, case_id)
    kind, obj = _item(case.kind, case.object_id)
    reports = db.session.scalars(sa.select(Report).where(Report.case_id == case.id)
                                 .order_by(Report.created_at, Report.id)).all()
    earlier = db.session.scalars(sa.select(Decision).where(
        Decision.kind == case.kind, Decision.object_id == case.object_id, Decision.case_id != case.id)
        .order_by(Decision.created_at.desc())).all()
    author = db.session.get(User, case.author_id) if case.author_id else None
    history = db.session.scalars(sa.select(Decision).where(Decision.subject_user_id == case.author_id)
                                 .order_by(Decision.created_at.desc()).limit(10)).all() if author else []
    return {
        "case": case, "item": _describe(case.kind, case.object_id, obj), "text": item_text(kind, obj),
        "can_redact": obj is not None and bool(kind.hooks.get("redact")) and bool(kind.hooks.get("text")),
        "can_hide": obj is not None and bool(kind.hooks.get("set_hidden")),
        "reports": reports, "earlier": earlier, "author": author, "history": history,
        "decision": case.decision,
        "moderator": db.session.get(User, case.decision.moderator_id) if case.decision and case.decision.moderator_id else None,
    }


# --- decisions --------------------------------------------------------------------

def decide_case(actor, case_id: int, decision_type, reason_code, statement: str,
                redacted_text: str | None = None) -> Decision:
    """Close a case: keep the item (reports dismissed, item shown again if it
    was held), hide it, or edit out personal data (the original text is kept
    on the decision, for moderators and the audit trail only).

    The first decision wins: the case is claimed with a conditional UPDATE, and
    a moderator who decides a case someone else already decided gets
    :class:`InvalidTransition` naming that decision.
    """
    case = get_case(actor, case_id)
    try:
        dtype = DecisionType(decision_type)
    except ValueError:
        raise ValidationError(fields={"decision": _("Choose a decision.")}) from None
    if dtype == DecisionType.BLOCK:
        raise ValidationError(fields={"decision": _("Choose a decision.")})
    errors = {}
    code = None
    if dtype == DecisionType.KEEP:
        code = _reason(reason_code, "reason_code", required=False)
    else:
        try:
            code = _reason(reason_code, "reason_code")
        except ValidationError as err:
            errors.update(err.fields)
    try:
        statement = _clean_statement(statement)
    except ValidationError as err:
        errors.update(err.fields)
    kind, obj = _item(case.kind, case.object_id)
    new_text = None
    if dtype == DecisionType.REDACT:
        if obj is None or not (kind.hooks.get("redact") and kind.hooks.get("text")):
            errors["decision"] = _("This kind of content cannot be edited by moderators: hide it instead.")
        else:
            new_text = clean_text(redacted_text, multiline=True)
            if not new_text:
                errors["redacted_text"] = _("Enter the text without the personal data.")
            elif new_text == clean_text(kind.hooks["text"](obj), multiline=True):
                errors["redacted_text"] = _("The text is unchanged: remove the personal data from it.")
    if dtype == DecisionType.HIDE and (obj is None or not kind.hooks.get("set_hidden")):
        errors["decision"] = _("This kind of content cannot be hidden.")
    if errors:
        raise ValidationError(fields=errors)
    _claim_case(case)
    now = case.decided_at
    decision = Decision(case_id=case.id, kind=case.kind, object_id=case.object_id, district_id=case.district_id,
                        type=dtype, reason_code=code, statement=statement, moderator_id=actor.id,
                        subject_user_id=case.author_id, created_at=now)
    if dtype == DecisionType.REDACT:
        decision.original_text = kind.hooks["text"](obj)
        decision.redacted_text = new_text
    db.session.add(decision)
    db.session.flush()
    if dtype == DecisionType.HIDE:
        _add_hold(case.kind, case.object_id, HoldCause.DECISION, decision.id, now)
    elif dtype == DecisionType.REDACT:
        kind.hooks["redact"](obj, new_text)
    was_held = case.hidden_at is not None
    _release_holds(HoldCause.REVIEW, case.id, now)
    audit.record(actor, "moderation.decided", case.kind, case.object_id, reason=statement,
                 decision=dtype.value, reason_code=code.value if code else None, case_id=case.id,
                 decision_id=decision.id, reports=case.report_count)
    if dtype != DecisionType.KEEP or was_held:
        _mail_decision(decision, case, kind, obj)
    db.session.flush()
    return decision


def _claim_case(case: ModerationCase) -> None:
    table = ModerationCase.__table__
    now = utcnow()
    claimed = db.session.execute(table.update().where(
        table.c.id == case.id, table.c.status == CaseStatus.OPEN).values(
        status=CaseStatus.DECIDED, decided_at=now)).rowcount
    db.session.expire(case)
    if not claimed:
        first = db.session.scalar(sa.select(Decision).where(Decision.case_id == case.id))
        who = db.session.get(User, first.moderator_id) if first and first.moderator_id else None
        raise InvalidTransition(
            _("%(name)s decided this case first (%(decision)s). Your decision was not recorded; the case is "
              "shown as decided below.", name=who.display_name if who else _("Another moderator"),
              decision=labels.decision_label(first.type) if first else _("decided")),
            decision_id=first.id if first else None)


def _mail_decision(decision: Decision, case: ModerationCase | None, kind, obj) -> None:
    author = db.session.get(User, decision.subject_user_id) if decision.subject_user_id else None
    if not _can_mail(author):
        return
    premoderated = case is not None and case.source == CaseSource.PREMODERATION
    ctx = {"user": author, "decision": decision, "title": item_title(kind, obj), "kind_label": str(kind.label()),
           "premoderated": premoderated, "url": absolute_url("moderation.mine"),
           "appeal_url": absolute_url("moderation.appeal", decision_id=decision.id)
           if decision.type in APPEALABLE else None}
    queue_mail(author.email, lambda: _("Moderation decision about your contribution"), "moderation/decision",
               ctx, user=author, dedupe_key=f"moderation:decision:{decision.id}")


# --- blocks -----------------------------------------------------------------------

def active_block(user_id: int) -> Decision | None:
    return db.session.scalar(sa.select(Decision).where(
        Decision.type == DecisionType.BLOCK, Decision.subject_user_id == user_id, Decision.lifted_at.is_(None),
        Decision.block_until > utcnow()).order_by(Decision.id.desc()))


def block_user(actor, user_id: int, days: int | None, reason_code, statement: str) -> Decision:
    """Block a person for ``days`` (None: permanently). They can still log in,
    read and appeal, not contribute; everything they wrote is hidden (and
    recorded as hidden by this block, so unblocking restores exactly that).
    Blocks are platform-wide: only moderators without district limits."""
    require_role(actor, Role.MODERATOR)
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound()
    if user.id == actor.id:
        raise ValidationError(_("You cannot block yourself."))
    if user.is_admin:
        raise ValidationError(_("Administrators cannot be blocked: ask another administrator to revoke the role first."))
    if active_block(user.id) is not None:
        raise ValidationError(_("This person is already blocked."))
    errors = {}
    if days is not None and not (1 <= days <= 3650):
        errors["duration"] = _("Choose a duration from the list.")
    try:
        code = _reason(reason_code, "reason_code")
    except ValidationError as err:
        errors.update(err.fields)
    try:
        statement = _clean_statement(statement)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(fields=errors)
    now = utcnow()
    until = FAR_FUTURE if days is None else now + timedelta(days=days)
    decision = Decision(kind="user", object_id=user.id, district_id=None, type=DecisionType.BLOCK,
                        reason_code=code, statement=statement, moderator_id=actor.id, subject_user_id=user.id,
                        created_at=now, block_until=until)
    db.session.add(decision)
    db.session.flush()
    user.blocked_until, user.blocked_reason = until, statement
    hidden = 0
    for kind in content.kinds():
        authored_by = kind.hooks.get("authored_by")
        if authored_by is None or kind.hooks.get("set_hidden") is None:
            continue
        for obj in authored_by(user.id):
            _add_hold(kind.name, obj.id, HoldCause.BLOCK, decision.id, now)
            hidden += 1
    audit.record(actor, "moderation.blocked", "user", user.id, reason=statement, decision_id=decision.id,
                 reason_code=code.value, until=None if days is None else until.isoformat(), items=hidden)
    if _can_mail(user):
        queue_mail(user.email, lambda: _("Your account is blocked"), "moderation/blocked",
                   {"user": user, "decision": decision, "permanent": days is None,
                    "appeal_url": absolute_url("moderation.appeal", decision_id=decision.id)},
                   user=user, dedupe_key=f"moderation:blocked:{decision.id}")
    db.session.flush()
    return decision


def _lift_block(decision: Decision, actor, reason: str | None, *, expired: bool = False) -> bool:
    """Lift a block once (conditional UPDATE) and restore what it hid."""
    table = Decision.__table__
    now = utcnow()
    lifted = db.session.execute(table.update().where(table.c.id == decision.id, table.c.lifted_at.is_(None))
                                .values(lifted_at=now, lifted_by_id=getattr(actor, "id", None))).rowcount
    db.session.expire(decision)
    if not lifted:
        return False
    user = db.session.get(User, decision.subject_user_id) if decision.subject_user_id else None
    if user is not None and active_block(user.id) is None:
        user.blocked_until, user.blocked_reason = None, None
    restored = _release_holds(HoldCause.BLOCK, decision.id, now)
    audit.record(actor, "moderation.block_expired" if expired else "moderation.unblocked", "user",
                 decision.subject_user_id, reason=reason, decision_id=decision.id, items=len(restored))
    db.session.flush()
    return True


def unblock_user(actor, user_id: int, reason: str) -> Decision:
    """Lift a person's block before its end; their content hidden by the block
    comes back (content hidden for other reasons stays hidden)."""
    require_role(actor, Role.MODERATOR)
    decision = active_block(user_id)
    if decision is None:
        raise ValidationError(_("This person is not blocked."))
    reason = clean_text(reason)
    if not reason:
        raise ValidationError(fields={"reason": _("Say why the block is lifted.")})
    _lift_block(decision, actor, reason)
    user = db.session.get(User, user_id)
    if _can_mail(user):
        queue_mail(user.email, lambda: _("Your account is no longer blocked"), "moderation/unblocked",
                   {"user": user, "reason": reason}, user=user, dedupe_key=f"moderation:unblocked:{decision.id}")
    return decision


def expire_blocks() -> int:
    """Periodic job: lift blocks whose end has passed and restore what they
    hid. Idempotent: a block is lifted once (``lifted_at``)."""
    due = db.session.scalars(sa.select(Decision).where(
        Decision.type == DecisionType.BLOCK, Decision.lifted_at.is_(None), Decision.block_until <= utcnow())).all()
    n = 0
    for decision in due:
        if _lift_block(decision, None, None, expired=True):
            n += 1
    return n


# --- appeals ----------------------------------------------------------------------

def appeal_decision(actor, decision_id: int, text: str) -> Appeal:
    """The person a decision is about appeals it, once, with a text. Blocked
    people may appeal (a block is itself appealable)."""
    require_login(actor)
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.subject_user_id != actor.id:
        raise NotFound()
    if decision.type not in APPEALABLE:
        raise ValidationError(_("This decision is in your favour: there is nothing to appeal."))
    if decision.appeal is not None:
        raise ValidationError(_("You have already appealed this decision."))
    if decision.type == DecisionType.BLOCK and (decision.lifted_at is not None or decision.block_until <= utcnow()):
        raise ValidationError(_("This block has already ended."))
    text = clean_text(text, multiline=True)
    if len(text) < MIN_STATEMENT:
        raise ValidationError(fields={"text": _("Explain why the decision should change in at least %(n)d "
                                                "characters.", n=MIN_STATEMENT)})
    if len(text) > MAX_APPEAL:
        raise ValidationError(fields={"text": _("Use at most %(n)d characters.", n=MAX_APPEAL)})
    appeal_id = insert_or_nothing(Appeal, decision_id=decision.id, appellant_id=actor.id, text=text,
                                  status=AppealStatus.PENDING, created_at=utcnow())
    if appeal_id is None:
        raise ValidationError(_("You have already appealed this decision."))
    appeal = db.session.get(Appeal, appeal_id)
    db.session.expire(decision, ["appeal"])
    audit.record(actor, "moderation.appealed", decision.kind, decision.object_id, decision_id=decision.id,
                 appeal_id=appeal.id)
    return appeal


def get_appeal(actor, appeal_id: int) -> Appeal:
    require_login(actor)
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound()
    require_role(actor, Role.MODERATOR, appeal.decision.district_id)
    return appeal


def pending_appeals(actor, limit: int = 50) -> list[dict]:
    """Appeals waiting in the actor's districts, oldest first, with what they
    are about (a constant number of queries)."""
    require_moderator(actor)
    appeals = db.session.scalars(
        sa.select(Appeal).join(Decision, Decision.id == Appeal.decision_id)
        .where(Appeal.status == AppealStatus.PENDING, _scope_filter(actor, Decision.district_id))
        .order_by(Appeal.created_at, Appeal.id).limit(limit)
        .options(contains_eager(Appeal.decision))).all()
    items = load_items((a.decision.kind, a.decision.object_id) for a in appeals if a.decision.kind != "user")
    return [{"appeal": a, "decision": a.decision, "title": _decision_title(a.decision, items),
             "own": a.decision.moderator_id == actor.id} for a in appeals]


def _decision_title(decision: Decision, items: dict) -> str:
    if decision.kind == "user":
        user = db.session.get(User, decision.object_id)
        return _("Account of %(name)s", name=user.display_name if user else "—")
    try:
        return item_title(content.get_kind(decision.kind), items.get((decision.kind, decision.object_id)))
    except NotFound:
        return _("Content no longer available")


def appeal_detail(actor, appeal_id: int) -> dict:
    appeal = get_appeal(actor, appeal_id)
    d = appeal.decision
    items = load_items([(d.kind, d.object_id)]) if d.kind != "user" else {}
    item = _describe(d.kind, d.object_id, items.get((d.kind, d.object_id))) if d.kind != "user" else None
    return {"appeal": appeal, "decision": d, "title": _decision_title(d, items), "item": item,
            "moderator": db.session.get(User, d.moderator_id) if d.moderator_id else None,
            "own": d.moderator_id == actor.id}


def own_decision(actor, decision_id: int) -> dict:
    """A decision about the actor (their content or account), for the appeal page."""
    require_login(actor)
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.subject_user_id != actor.id:
        raise NotFound()
    items = load_items([(decision.kind, decision.object_id)]) if decision.kind != "user" else {}
    return {"decision": decision, "title": _("Your account") if decision.kind == "user"
            else _decision_title(decision, items), "can_appeal": _can_appeal(decision)}


def decide_appeal(actor, appeal_id: int, outcome, statement: str) -> Appeal:
    """A moderator other than the one who decided confirms or reverses the
    decision; reversing undoes its effects (item shown again, original text
    back, block lifted). The outcome is mailed with its reasons."""
    appeal = get_appeal(actor, appeal_id)
    decision = appeal.decision
    if decision.moderator_id == actor.id:
        raise PermissionDenied(_("You took the original decision: another moderator must decide the appeal."))
    try:
        status = AppealStatus(outcome)
    except ValueError:
        status = None
    errors = {}
    if status not in (AppealStatus.UPHELD, AppealStatus.OVERTURNED):
        errors["outcome"] = _("Choose whether to confirm or reverse the decision.")
    try:
        statement = _clean_statement(statement)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(fields=errors)
    table = Appeal.__table__
    now = utcnow()
    claimed = db.session.execute(table.update().where(
        table.c.id == appeal.id, table.c.status == AppealStatus.PENDING).values(
        status=status, decided_at=now, decided_by_id=actor.id, statement=statement)).rowcount
    db.session.expire(appeal)
    if not claimed:
        raise InvalidTransition(_("Another moderator decided this appeal first. Your decision was not recorded."))
    if status == AppealStatus.OVERTURNED:
        _reverse(decision, actor, now)
    audit.record(actor, "moderation.appeal_decided", decision.kind, decision.object_id, reason=statement,
                 outcome=status.value, appeal_id=appeal.id, decision_id=decision.id)
    appellant = db.session.get(User, appeal.appellant_id) if appeal.appellant_id else None
    if _can_mail(appellant):
        kind_title = _("your account") if decision.type == DecisionType.BLOCK else None
        if kind_title is None:
            kind, obj = _item(decision.kind, decision.object_id)
            kind_title = item_title(kind, obj)
        queue_mail(appellant.email, lambda: _("The outcome of your appeal"), "moderation/appeal_outcome",
                   {"user": appellant, "appeal": appeal, "decision": decision, "title": kind_title,
                    "overturned": status == AppealStatus.OVERTURNED, "url": absolute_url("moderation.mine")},
                   user=appellant, dedupe_key=f"moderation:appeal:{appeal.id}")
    db.session.flush()
    return appeal


def _reverse(decision: Decision, actor, now: datetime) -> None:
    decision.reversed_at = now
    if decision.type == DecisionType.HIDE:
        _release_holds(HoldCause.DECISION, decision.id, now)
    elif decision.type == DecisionType.REDACT:
        kind, obj = _item(decision.kind, decision.object_id)
        if obj is not None and kind.hooks.get("redact") and decision.original_text is not None:
            kind.hooks["redact"](obj, decision.original_text)
    elif decision.type == DecisionType.BLOCK:
        _lift_block(decision, actor, _("Block reversed on appeal"))
    db.session.flush()


# --- the person's own view ------------------------------------------------------------

def my_decisions(actor) -> list[dict]:
    """Decisions about the actor's contributions and account, newest first."""
    require_login(actor)
    decisions = db.session.scalars(sa.select(Decision).where(Decision.subject_user_id == actor.id)
                                   .order_by(Decision.created_at.desc(), Decision.id.desc())
                                   .options(selectinload(Decision.appeal))).all()
    items = load_items((d.kind, d.object_id) for d in decisions if d.kind != "user")
    return [{"decision": d, "title": _("Your account") if d.kind == "user" else _decision_title(d, items),
             "can_appeal": _can_appeal(d)} for d in decisions]


def _can_appeal(decision: Decision) -> bool:
    if decision.type not in APPEALABLE or decision.appeal is not None:
        return False
    return decision.type != DecisionType.BLOCK or (decision.lifted_at is None and decision.block_until > utcnow())


def person_summary(actor, user_id: int) -> dict:
    """A person's moderation history, for moderators."""
    require_moderator(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    decisions = db.session.scalars(sa.select(Decision).where(Decision.subject_user_id == user.id)
                                   .order_by(Decision.created_at.desc())).all()
    return {"user": user, "decisions": decisions, "block": active_block(user.id),
            "reports_made": db.session.scalar(sa.select(sa.func.count()).select_from(Report)
                                              .where(Report.reporter_id == user.id))}


# --- personal data ----------------------------------------------------------------

def export_personal_data(user) -> dict:
    reports = db.session.scalars(sa.select(Report).where(Report.reporter_id == user.id).order_by(Report.id)).all()
    decisions = db.session.scalars(sa.select(Decision).where(Decision.subject_user_id == user.id)
                                   .order_by(Decision.id)).all()
    return {
        "reports_made": [{"kind": r.kind, "id": r.object_id, "reason": r.reason.value, "details": r.details,
                          "at": r.created_at.isoformat() + "Z"} for r in reports],
        "decisions_about_me": [{"kind": d.kind, "id": d.object_id, "decision": d.type.value,
                                "reason": d.reason_code.value if d.reason_code else None, "statement": d.statement,
                                "at": d.created_at.isoformat() + "Z",
                                "appeal": ({"text": d.appeal.text, "status": d.appeal.status.value,
                                            "statement": d.appeal.statement} if d.appeal else None)}
                               for d in decisions],
    }


def erase_personal_data(user) -> None:
    """Account deletion: reports and decisions stay (they are the public
    figures and the audit trail) but no longer point at the person, and the
    texts they wrote (report details, appeals) are erased."""
    db.session.execute(sa.update(Report).where(Report.reporter_id == user.id)
                       .values(reporter_id=None, details=None))
    db.session.execute(sa.update(Appeal).where(Appeal.appellant_id == user.id)
                       .values(appellant_id=None, text=""))
    db.session.execute(sa.update(Decision).where(Decision.subject_user_id == user.id).values(subject_user_id=None))
    db.session.execute(sa.update(ModerationCase).where(ModerationCase.author_id == user.id).values(author_id=None))
    db.session.flush()
