"""Processes themselves: what admins and officials edit (texts, rules,
phases, results) and the lists residents browse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from civic.core import audit, content, events, phases, pictures
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.permissions import require, require_login
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.extensions import db
from civic.processes import permissions
from civic.processes.labels import PHASE_CODES
from civic.processes.models import Process, Proposal, ProposalState, ThresholdType
from civic.processes.services.common import (
    DEFAULT_ANSWER_DELAY_DAYS,
    PAGE_SIZE,
    district_exists,
    registered_kinds,
    required_text,
)
from civic.processes.services.mailing import mail_results
from civic.processes.services.thresholds import requeue_process


@dataclass
class ProcessData:
    """What an admin edits on a process (the form's cleaned fields)."""

    title: str
    summary: str
    description: str = ""
    district_id: int | None = None
    categories: list[str] | tuple[str, ...] = ()
    support_limit: int | None = None
    threshold_type: str = "none"
    threshold_value: int | None = None  # supports, or hundredths of a percent
    requires_verification: bool = False
    answer_delay_days: int = DEFAULT_ANSWER_DELAY_DAYS
    budget_id: int | None = None
    consultation_id: int | None = None
    # The picture fields as read by civic.core.pictures.stage (None: unchanged).
    picture: pictures.PictureInput | None = None


def _validate_process(data: ProcessData, process: Process | None) -> dict:
    title = clean_text(data.title)
    summary = clean_text(data.summary)
    errors: dict = {}
    errors |= required_text(title, "title", _("Give the process a title."), 200)
    errors |= required_text(summary, "summary", _("Write a one-sentence summary."), 500)
    if not district_exists(data.district_id):
        errors["district_id"] = _("Choose a district from the list.")
    if data.support_limit is not None and data.support_limit < 1:
        errors["support_limit"] = _("Leave empty for no limit, or enter at least 1.")
    try:
        ttype = ThresholdType(data.threshold_type or "none")
    except ValueError:
        ttype = None
        errors["threshold_type"] = _("Choose a kind of threshold from the list.")
    if ttype == ThresholdType.COUNT and (data.threshold_value is None or data.threshold_value < 1):
        errors["threshold_value"] = _("Enter a number of supports of at least 1.")
    if ttype == ThresholdType.PERCENT and (data.threshold_value is None or not 1 <= data.threshold_value <= 10000):
        errors["threshold_value"] = _("Enter a percentage between 0.01 and 100.")
    if data.answer_delay_days is None or not 1 <= data.answer_delay_days <= 730:
        errors["answer_delay_days"] = _("Enter a number of days between 1 and 730.")
    errors |= pictures.check(data.picture, "process", process.id if process is not None else None)
    for kind, value, field in (("budget", data.budget_id, "budget_id"),
                               ("consultation", data.consultation_id, "consultation_id")):
        if value is not None and kind not in registered_kinds():
            errors[field] = _("This kind of item is not available on this platform.")
        elif value is not None:
            try:
                content.load(kind, value, check_visible=False)
            except NotFound:
                errors[field] = _("There is no item with this number.")
    return errors


def _apply_process(process: Process, data: ProcessData) -> None:
    process.title = clean_text(data.title)
    process.summary = clean_text(data.summary)
    process.description = clean_text(data.description, multiline=True)
    process.description_html = render_markdown(process.description)
    process.district_id = data.district_id
    cats = []
    for c in data.categories or ():
        c = clean_text(c)[:80]
        if c and c not in cats:
            cats.append(c)
    process.categories = cats
    process.support_limit = data.support_limit
    process.threshold_type = ThresholdType(data.threshold_type or "none")
    process.threshold_value = None if process.threshold_type == ThresholdType.NONE else data.threshold_value
    process.requires_verification = bool(data.requires_verification)
    process.answer_delay_days = data.answer_delay_days
    process.budget_id = data.budget_id
    process.consultation_id = data.consultation_id


def _rules(process: Process) -> dict:
    """The rules whose changes the audit entry lists."""
    return {"threshold_type": process.threshold_type.value, "threshold_value": process.threshold_value,
            "support_limit": process.support_limit, "answer_delay_days": process.answer_delay_days,
            "requires_verification": process.requires_verification}


def create_process(actor, data: ProcessData) -> Process:
    """Create a draft process (admins). It is public once published."""
    require_login(actor)
    require(permissions.can_create_process(actor))
    errors = _validate_process(data, None)
    if errors:
        raise ValidationError(fields=errors)
    process = Process(created_by_id=actor.id)
    _apply_process(process, data)
    db.session.add(process)
    db.session.flush()
    pictures.apply(data.picture, "process", process.id)
    audit.record(actor, "process.created", "process", process.id)
    content.created("process", process, actor)
    return process


def update_process(actor, process: Process, data: ProcessData) -> Process:
    """Change a process's texts and rules (admins, officials of its district).

    A new threshold is applied to existing proposals at once; proposals
    already in the officials' queue stay there (a promise is not withdrawn).
    """
    require_login(actor)
    require(permissions.can_manage_process(actor, process))
    errors = _validate_process(data, process)
    if errors:
        raise ValidationError(fields=errors)
    before = _rules(process)
    _apply_process(process, data)
    pictures.apply(data.picture, "process", process.id)
    db.session.flush()
    after = _rules(process)
    audit.record(actor, "process.updated", "process", process.id,
                 changed={k: [before[k], after[k]] for k in before if before[k] != after[k]} or None)
    if before["threshold_type"] != after["threshold_type"] or before["threshold_value"] != after["threshold_value"]:
        requeue_process(process)
    return process


def publish_process(actor, process: Process) -> Process:
    """Make a draft process public (admins). It needs at least one phase."""
    require_login(actor)
    require(permissions.can_publish_process(actor, process))
    if process.is_published:
        raise InvalidTransition(_("This process is already published."))
    if not phases.phases_for("process", process.id):
        raise ValidationError(_("Add the phases of the process before publishing it."))
    process.published_at = utcnow()
    db.session.flush()
    audit.record(actor, "process.published", "process", process.id)
    # Enter at once the latest phase that has already started (the periodic
    # job would do it within a minute).
    started = [p for p in phases.phases_for("process", process.id) if p.starts_at <= utcnow()]
    if started and phases.current_phase("process", process.id) is None:
        phases.move_phase(actor, "process", process.id, started[-1].id, _("Process published"))
    return process


def save_phases(actor, process: Process, specs: list[phases.PhaseSpec]) -> list:
    """Replace the upcoming phases of a process (admins, officials of its district)."""
    require_login(actor)
    require(permissions.can_manage_process(actor, process))
    if not specs:
        message = _("Add at least one phase.")
        raise ValidationError(message, fields={"phases": message})
    bad = [s.code for s in specs if s.code not in PHASE_CODES]
    if bad:
        message = _("Unknown kind of phase: %(c)s", c=", ".join(bad))
        raise ValidationError(message, fields={"phases": message})
    try:
        result = phases.set_phases(actor, "process", process.id, specs)
    except ValidationError as err:
        # The phases form shows one message for all its rows: the core's reasons become it.
        raise ValidationError(" ".join(err.fields.values()) or err.message, fields=err.fields) from None
    sync_phase_copy(process)
    return result


def move_process_phase(actor, process: Process, phase_id: int, reason: str) -> None:
    """Enter a phase by hand (admins; audited by the core with the reason)."""
    require_login(actor)
    require(permissions.can_move_process_phase(actor, process))
    phases.move_phase(actor, "process", process.id, phase_id, clean_text(reason))


def sync_phase_copy(process: Process) -> None:
    """Refresh the process's copy of its current phase (see models docstring)."""
    current = phases.current_phase("process", process.id)
    all_phases = phases.phases_for("process", process.id)
    process.phase_code = current.code if current else None
    process.participation_open = bool(current and current.capabilities)
    process.last_phase_entered = bool(current and all_phases and current.position == all_phases[-1].position)
    db.session.flush()


def on_phase_changed(process: Process, old_code: str | None, new_code: str) -> None:
    """``phase_changed`` hook of the "process" kind."""
    sync_phase_copy(process)


def publish_results(actor, process: Process, text: str) -> Process:
    """Publish (or update) the results and follow-up of a process."""
    require_login(actor)
    require(permissions.can_manage_process(actor, process))
    text = clean_text(text, multiline=True)
    if not text:
        raise ValidationError(fields={"results": _("Write the results before publishing them.")})
    process.results = text
    process.results_html = render_markdown(text)
    first = process.results_published_at is None
    process.results_published_at = process.results_published_at or utcnow()
    db.session.flush()
    audit.record(actor, "process.results_published" if first else "process.results_updated", "process", process.id)
    mail_results(process, first)
    if first:
        events.emit("process", process.id, "results_published", actor_id=actor.id)
    return process


# --- lists ---------------------------------------------------------------------

def open_clause(now: datetime | None = None):
    """SQL: the process is open for participation now (current phase allows
    something and has not ended)."""
    now = now or utcnow()
    current_ended = sa.exists().where(
        phases.Phase.owner_kind == "process", phases.Phase.owner_id == Process.id, phases.Phase.is_current.is_(True),
        phases.Phase.ends_at.is_not(None), phases.Phase.ends_at <= now)
    return sa.and_(Process.participation_open.is_(True), ~current_ended)


def list_processes(user, *, archive: bool = False, page: int = 1, open_only: bool = False,
                   limit: int = PAGE_SIZE) -> tuple[list[Process], bool]:
    """Published processes: ongoing ones (open first), or the archive.

    The archive holds processes whose last phase has begun and where nothing
    can be done any more. Returns ``(rows, has_next)``; two queries whatever
    the page size.
    """
    is_open = open_clause()
    stmt = sa.select(Process).where(Process.published_at.is_not(None))
    archived = sa.and_(Process.last_phase_entered.is_(True), ~is_open)
    if archive:
        stmt = stmt.where(archived).order_by(Process.published_at.desc(), Process.id.desc())
    elif open_only:
        stmt = stmt.where(is_open).order_by(Process.published_at.desc(), Process.id.desc())
    else:
        stmt = stmt.where(~archived).order_by(sa.case((is_open, 0), else_=1), Process.published_at.desc(),
                                              Process.id.desc())
    stmt = stmt.options(selectinload(Process.district))
    rows = db.session.scalars(stmt.offset((page - 1) * limit).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def current_phases(process_ids: list[int]) -> dict[int, phases.Phase]:
    """Current phase of each process, in one query."""
    if not process_ids:
        return {}
    rows = db.session.scalars(sa.select(phases.Phase).where(
        phases.Phase.owner_kind == "process", phases.Phase.owner_id.in_(process_ids),
        phases.Phase.is_current.is_(True))).all()
    return {p.owner_id: p for p in rows}


def outcome_counts(process_ids: list[int]) -> dict[int, dict[str, int]]:
    """Proposals per state for each process, in one grouped query."""
    out: dict[int, dict[str, int]] = {pid: {} for pid in process_ids}
    if not process_ids:
        return out
    rows = db.session.execute(sa.select(Proposal.process_id, Proposal.state, sa.func.count()).where(
        Proposal.process_id.in_(process_ids), Proposal.hidden.is_(False)).group_by(
        Proposal.process_id, Proposal.state)).all()
    for pid, state, n in rows:
        out[pid][ProposalState(state).value] = n
    return out


def linked_items(process: Process) -> list[dict]:
    """The budget edition and consultation linked to a process, when their
    modules are installed and the item exists: ``[{"kind", "label", "title", "url", "id"}]``."""
    items = []
    for kind_name, obj_id in (("budget", process.budget_id), ("consultation", process.consultation_id)):
        if obj_id is None or kind_name not in registered_kinds():
            continue
        try:
            kind, obj = content.load(kind_name, obj_id)
        except NotFound:
            continue
        items.append({"kind": kind_name, "id": obj_id, "label": str(kind.label()), "title": kind.title(obj),
                      "url": kind.url(obj)})
    return items
