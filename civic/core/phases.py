"""One phase mechanism for every owner of phases: participatory processes,
budget editions, consultations.

An owner is a registered content kind ``(owner_kind, owner_id)`` with ordered
phases. Each phase has a ``code`` (what it is: "information", "submission",
"review", "voting", "results", "implementation", "proposals", "support",
"answering"...), dates, and ``capabilities``: what residents may do during it
("submit", "support", "comment", "vote", "answer"). The periodic job
:func:`advance_phases` moves owners forward when a later phase's start date has
passed; admins can move a phase by hand with :func:`move_phase` (audited). On
every change the owner kind's ``phase_changed`` hook runs (e.g. a budget
computes its results when voting ends).

The dates rule, not the scheduler: :func:`catch_up` runs the same advance at
the start of every request (one aggregate query when nothing lags) and when a
service reads the current phase, so a visitor, a service and the API see the
phase the dates say even when the scheduler was down or late. Entering a
phase is a compare-and-set on ``is_current``: of two advancers racing for the
same change, one wins and fires the hook; the other sees it already made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, aliased, mapped_column

from civic.core import audit, content, events
from civic.core import time as core_time
from civic.core.errors import NotFound, ValidationError
from civic.core.permissions import ADMIN, require_role
from civic.extensions import db


def utcnow() -> datetime:
    # Looked up on the module at each call, so a test can move the clock
    # (``monkeypatch.setattr(civic.core.time, "utcnow", ...)``).
    return core_time.utcnow()

CAPABILITIES = ("submit", "support", "comment", "vote", "answer")


class Phase(db.Model):
    __tablename__ = "phase"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(sa.String(40))
    owner_id: Mapped[int] = mapped_column(sa.Integer)
    position: Mapped[int] = mapped_column(sa.Integer)
    code: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    capabilities: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Exactly one phase per owner is current once the first phase has started.
    is_current: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    entered_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    __table_args__ = (
        sa.UniqueConstraint("owner_kind", "owner_id", "position"),
        sa.Index("uq_phase_current", "owner_kind", "owner_id", unique=True,
                 sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current")),
    )

    def allows(self, capability: str) -> bool:
        return capability in (self.capabilities or [])

    @property
    def status(self) -> str:
        """"past", "current" or "upcoming" (for the timeline)."""
        if self.is_current:
            return "current"
        return "past" if self.entered_at is not None else "upcoming"


@dataclass
class PhaseSpec:
    code: str
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    capabilities: tuple[str, ...] = ()
    description: str | None = None


def phases_for(owner_kind: str, owner_id: int) -> list[Phase]:
    return db.session.scalars(sa.select(Phase).where(
        Phase.owner_kind == owner_kind, Phase.owner_id == owner_id).order_by(Phase.position)).all()


def _current_row(owner_kind: str, owner_id: int) -> Phase | None:
    return db.session.scalar(sa.select(Phase).where(
        Phase.owner_kind == owner_kind, Phase.owner_id == owner_id, Phase.is_current.is_(True)))


def current_phase(owner_kind: str, owner_id: int) -> Phase | None:
    """The owner's current phase, as its dates say it is now (caught up first)."""
    catch_up(owner_kind, owner_id)
    return _current_row(owner_kind, owner_id)


def allows(owner_kind: str, owner_id: int, capability: str) -> bool:
    """True if the owner's current phase allows ``capability`` and has not ended."""
    phase = current_phase(owner_kind, owner_id)
    if phase is None or not phase.allows(capability):
        return False
    return phase.ends_at is None or phase.ends_at > utcnow()


def set_phases(actor, owner_kind: str, owner_id: int, specs: list[PhaseSpec]) -> list[Phase]:
    """Replace the upcoming phases of an owner. Validates order and dates.

    Callers check permission (the owner's module knows who may edit it).
    Phases already entered are kept as they are (history does not change).
    """
    errors = []
    for i, spec in enumerate(specs):
        if spec.ends_at is not None and spec.ends_at <= spec.starts_at:
            errors.append(_("Phase %(n)d ends before it starts.", n=i + 1))
        if i and spec.starts_at < specs[i - 1].starts_at:
            errors.append(_("Phase %(n)d starts before the previous one.", n=i + 1))
        bad = set(spec.capabilities) - set(CAPABILITIES)
        if bad:
            errors.append(_("Unknown capability: %(c)s", c=", ".join(sorted(bad))))
    if errors:
        raise ValidationError(fields={"phases": " ".join(errors)})
    existing = phases_for(owner_kind, owner_id)
    kept = [p for p in existing if p.entered_at is not None]
    for p in existing:
        if p.entered_at is None:
            db.session.delete(p)
    db.session.flush()
    start = len(kept)
    created = []
    for i, spec in enumerate(specs[start:] if kept else specs, start=start):
        p = Phase(owner_kind=owner_kind, owner_id=owner_id, position=i, code=spec.code, title=spec.title,
                  description=spec.description, starts_at=spec.starts_at, ends_at=spec.ends_at,
                  capabilities=list(spec.capabilities))
        db.session.add(p)
        created.append(p)
    db.session.flush()
    audit.record(actor, "phases.set", owner_kind, owner_id, phases=[s.code for s in specs])
    # A phase whose start is already past begins now, not at the next tick.
    catch_up(owner_kind, owner_id)
    return kept + created


class _Lost(Exception):
    """Another advancer made this change first."""


def _enter(owner_kind: str, owner_id: int, target: Phase, actor, reason: str | None) -> bool:
    """Make ``target`` current. Compare-and-set: the phase that was current must
    still be, and ``target`` must not be yet (the unique index on the current
    phase refuses a second one); if another transaction won, nothing changes
    and the hook does not fire. Returns whether this call made the change."""
    old = _current_row(owner_kind, owner_id)
    if old is not None and old.id == target.id:
        return False
    now = utcnow()
    try:
        with db.session.begin_nested():
            if old is not None and db.session.execute(
                    sa.update(Phase).where(Phase.id == old.id, Phase.is_current.is_(True))
                    .values(is_current=False)).rowcount != 1:
                raise _Lost()
            if db.session.execute(
                    sa.update(Phase).where(Phase.id == target.id, Phase.is_current.is_(False))
                    .values(is_current=True)).rowcount != 1:
                raise _Lost()
    except (_Lost, sa.exc.IntegrityError):
        for p in (old, target):
            if isinstance(p, Phase):  # read again: another transaction changed it
                db.session.expire(p)
        return False
    # Skipped phases count as entered (they are in the past now).
    for p in phases_for(owner_kind, owner_id):
        if p.position < target.position and p.entered_at is None:
            p.entered_at = now
    target.entered_at = target.entered_at or now
    db.session.flush()
    audit.record(actor, "phase.changed", owner_kind, owner_id, reason=reason,
                 old=old.code if old else None, new=target.code)
    hook = content.hook(owner_kind, "phase_changed")
    if hook is not None:
        kind, owner = content.load(owner_kind, owner_id, check_visible=False)
        hook(owner, old.code if old else None, target.code)
    if "phase_changed" in (content.hook(owner_kind, "events") or {}):
        events.emit(owner_kind, owner_id, "phase_changed", actor_id=getattr(actor, "id", None),
                    data={"old": old.code if old else None, "new": target.code})
    return True


def move_phase(actor, owner_kind: str, owner_id: int, phase_id: int, reason: str = "") -> Phase:
    """Make ``phase_id`` the current phase by hand (admins; audited with the reason)."""
    require_role(actor, ADMIN)
    phase = db.session.get(Phase, phase_id)
    if phase is None or phase.owner_kind != owner_kind or phase.owner_id != owner_id:
        raise NotFound()
    if not (reason or "").strip():
        raise ValidationError(fields={"reason": _("Say why the phase is moved by hand.")})
    _enter(owner_kind, owner_id, phase, actor, reason.strip())
    return phase


def _lagging(now: datetime, owner_kind: str | None = None, owner_id: int | None = None):
    """``(owner_kind, owner_id, position)`` of every owner whose latest started
    phase comes after its current one: one aggregate query."""
    current = aliased(Phase)
    current_position = (sa.select(current.position).where(
        current.owner_kind == Phase.owner_kind, current.owner_id == Phase.owner_id,
        current.is_current.is_(True)).correlate(Phase).scalar_subquery())
    stmt = (sa.select(Phase.owner_kind, Phase.owner_id, sa.func.max(Phase.position))
            .where(Phase.starts_at <= now).group_by(Phase.owner_kind, Phase.owner_id)
            .having(sa.func.max(Phase.position) > sa.func.coalesce(current_position, -1)))
    if owner_kind is not None:
        stmt = stmt.where(Phase.owner_kind == owner_kind)
    if owner_id is not None:
        stmt = stmt.where(Phase.owner_id == owner_id)
    return db.session.execute(stmt).all()


def catch_up(owner_kind: str | None = None, owner_id: int | None = None, now: datetime | None = None) -> int:
    """Enter, for every owner (or the one given), the latest phase whose start
    date has passed, if it comes after the current one. Idempotent and safe to
    run concurrently (see :func:`_enter`); writes in the caller's transaction.
    Returns how many owners moved."""
    now = now or utcnow()
    moved = 0
    for kind, oid, position in _lagging(now, owner_kind, owner_id):
        target = db.session.scalar(sa.select(Phase).where(
            Phase.owner_kind == kind, Phase.owner_id == oid, Phase.position == position))
        if _enter(kind, oid, target, None, None):
            moved += 1
    return moved


def advance_phases(now: datetime | None = None) -> int:
    """Periodic job: :func:`catch_up` for every owner. Idempotent."""
    return catch_up(now=now)


def catch_up_before_request() -> None:
    """``before_request``: the phases a page or an API answer shows follow the
    dates even when the scheduler is late. Commits only when a phase moved
    (the request has written nothing yet)."""
    from flask import request

    if request.endpoint in (None, "static", "core.healthz"):
        return
    if catch_up():
        db.session.commit()


def init_app(app) -> None:
    app.before_request(catch_up_before_request)


def _register():
    from civic.core.jobs import register_periodic

    register_periodic("phases.advance", advance_phases, 60)


_register()


def current_titles(owner_kind: str, owner_ids, label=None) -> dict[int, str]:
    """``{owner_id: title of its current phase}`` for many owners in one query
    (the back office's list of spaces); owners without a current phase are
    absent. ``label(code)`` names a phase whose stored title is in one
    language only (as the timeline macro's ``label``)."""
    ids = sorted(set(owner_ids))
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Phase.owner_id, Phase.code, Phase.title).where(
        Phase.owner_kind == owner_kind, Phase.owner_id.in_(ids), Phase.is_current.is_(True)))
    return {owner_id: str(label(code)) if label else title for owner_id, code, title in rows}
