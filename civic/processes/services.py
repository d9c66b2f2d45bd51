"""Processes and proposals: the only writers of this module's tables.

Every function takes the actor first, checks permission, validates, changes
models, writes the audit entry and outbox rows, and flushes; the caller (a
view, an API route, a job, the demo loader) commits once.

The audit entries recorded on ``("proposal", id)`` with an action listed in
:data:`PUBLIC_EVENTS` also make the proposal's public accountability timeline.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import selectinload

from civic.accounts.models import District, Role, User, Verification
from civic.core import audit, content, follows, phases
from civic.core.errors import CivicError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.images import web_image
from civic.core.models import AuditEntry
from civic.core.outbox import queue_mail
from civic.core.permissions import is_user, require_contributor, require_login, require_role
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.processes.models import (
    OPEN_STATES,
    Amendment,
    AmendmentState,
    Clarification,
    ImplementationStatus,
    ImplementationUpdate,
    Process,
    Proposal,
    ProposalState,
    ProposalVersion,
    Support,
    ThresholdType,
)

PAGE_SIZE = 20
DEFAULT_ANSWER_DELAY_DAYS = 90

PHASE_CODES = ("information", "proposals", "support", "evaluation", "voting", "answering", "results",
               "implementation")

# Audit actions shown on a proposal's public timeline (anything else stays in
# the internal audit log: supports, who did what).
PUBLIC_EVENTS = (
    "proposal.published", "proposal.edited", "proposal.clarified", "proposal.amendment_proposed",
    "proposal.amendment_accepted", "proposal.amendment_rejected", "proposal.threshold_reached",
    "proposal.evaluating", "proposal.accepted", "proposal.rejected", "proposal.withdrawn",
    "proposal.implementation_update", "proposal.implemented", "proposal.budget_project",
)


# --- permissions -------------------------------------------------------------

def can_manage_process(user, process: Process | None) -> bool:
    """Admins, and officials of the process's district (city-wide grants for city-wide processes)."""
    if not is_user(user):
        return False
    return user.has_role(Role.OFFICIAL, process.district_id if process else None)


def require_manage_process(actor, process: Process) -> None:
    require_login(actor)
    if not can_manage_process(actor, process):
        raise PermissionDenied()


def answering_district(proposal: Proposal) -> int | None:
    return proposal.district_id if proposal.district_id is not None else proposal.process.district_id


def can_answer(user, proposal: Proposal) -> bool:
    """Officials of the proposal's district (or the process's) answer it."""
    return is_user(user) and (user.has_role(Role.OFFICIAL, answering_district(proposal))
                              or can_manage_process(user, proposal.process))


def can_view_process(user, process: Process) -> bool:
    return process.is_published or can_manage_process(user, process)


def can_view_proposal(user, proposal: Proposal) -> bool:
    if not can_view_process(user, proposal.process):
        return False
    if proposal.hidden:
        return is_user(user) and user.has_role(Role.MODERATOR, proposal.district_id)
    return True


# --- helpers -------------------------------------------------------------------



def normalise_search(text: str) -> str:
    """Lower-case, accents removed, punctuation as spaces (for LIKE search)."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^\w]+", " ", text).strip()


def _required(value: str, field: str, message: str, max_len: int | None = None) -> dict:
    if not value:
        return {field: message}
    if max_len and len(value) > max_len:
        return {field: _("Use at most %(n)d characters.", n=max_len)}
    return {}


def _district_exists(district_id: int | None) -> bool:
    return district_id is None or db.session.get(District, district_id) is not None


# --- processes -----------------------------------------------------------------

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
    image: bytes | None = None
    image_alt: str | None = None
    remove_image: bool = False


def _validate_process(data: ProcessData, process: Process | None) -> dict:
    title = clean_text(data.title)
    summary = clean_text(data.summary)
    errors: dict = {}
    errors |= _required(title, "title", _("Give the process a title."), 200)
    errors |= _required(summary, "summary", _("Write a one-sentence summary."), 500)
    if not _district_exists(data.district_id):
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
    has_image = data.image is not None or (process is not None and process.image_data and not data.remove_image)
    if has_image and not clean_text(data.image_alt):
        errors["image_alt"] = _("Describe the image for people who cannot see it.")
    for kind, value, field in (("budget", data.budget_id, "budget_id"),
                               ("consultation", data.consultation_id, "consultation_id")):
        if value is not None and kind not in _registered_kinds():
            errors[field] = _("This kind of item is not available on this platform.")
        elif value is not None:
            try:
                content.load(kind, value, check_visible=False)
            except NotFound:
                errors[field] = _("There is no item with this number.")
    return errors


def _registered_kinds() -> set[str]:
    return {k.name for k in content.kinds()}


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
    if data.remove_image:
        process.image_data, process.image_alt = None, None
        process.image_version += 1
    if data.image is not None:
        process.image_data = web_image(data.image).data
        process.image_version += 1
    process.image_alt = clean_text(data.image_alt)[:200] or None if process.image_data else None


def create_process(actor, data: ProcessData) -> Process:
    """Create a draft process (admins). It is public once published."""
    require_role(actor, Role.ADMIN)
    errors = _validate_process(data, None)
    if errors:
        raise ValidationError(fields=errors)
    process = Process(created_by_id=actor.id, image_version=0)
    _apply_process(process, data)
    db.session.add(process)
    db.session.flush()
    audit.record(actor, "process.created", "process", process.id)
    content.created("process", process, actor)
    return process


def update_process(actor, process: Process, data: ProcessData) -> Process:
    """Change a process's texts and rules (admins, officials of its district).

    A new threshold is applied to existing proposals at once; proposals
    already in the officials' queue stay there (a promise is not withdrawn).
    """
    require_manage_process(actor, process)
    errors = _validate_process(data, process)
    if errors:
        raise ValidationError(fields=errors)
    before = {"threshold_type": process.threshold_type.value, "threshold_value": process.threshold_value,
              "support_limit": process.support_limit, "answer_delay_days": process.answer_delay_days,
              "requires_verification": process.requires_verification}
    _apply_process(process, data)
    db.session.flush()
    after = {"threshold_type": process.threshold_type.value, "threshold_value": process.threshold_value,
             "support_limit": process.support_limit, "answer_delay_days": process.answer_delay_days,
             "requires_verification": process.requires_verification}
    audit.record(actor, "process.updated", "process", process.id,
                 changed={k: [before[k], after[k]] for k in before if before[k] != after[k]} or None)
    if before["threshold_type"] != after["threshold_type"] or before["threshold_value"] != after["threshold_value"]:
        requeue_process(process)
    return process


def publish_process(actor, process: Process) -> Process:
    """Make a draft process public (admins). It needs at least one phase."""
    require_role(actor, Role.ADMIN)
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
    require_manage_process(actor, process)
    if not specs:
        raise ValidationError(fields={"phases": _("Add at least one phase.")})
    bad = [s.code for s in specs if s.code not in PHASE_CODES]
    if bad:
        raise ValidationError(fields={"phases": _("Unknown kind of phase: %(c)s", c=", ".join(bad))})
    result = phases.set_phases(actor, "process", process.id, specs)
    sync_phase_copy(process)
    return result


def move_process_phase(actor, process: Process, phase_id: int, reason: str) -> None:
    """Enter a phase by hand (admins; audited by the core with the reason)."""
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
    require_manage_process(actor, process)
    text = clean_text(text, multiline=True)
    if not text:
        raise ValidationError(fields={"results": _("Write the results before publishing them.")})
    process.results = text
    process.results_html = render_markdown(text)
    first = process.results_published_at is None
    process.results_published_at = process.results_published_at or utcnow()
    db.session.flush()
    audit.record(actor, "process.results_published" if first else "process.results_updated", "process", process.id)
    for user in follows.followers("process", process.id):
        queue_mail(user.email, lambda p=process: _("Results of “%(title)s”", title=p.title), "processes/results",
                   {"user": user, "process": process, "url": absolute_url("processes.show", process_id=process.id)},
                   user=user, topic=f"follow:process:{process.id}",
                   dedupe_key=f"process-results:{process.id}:{user.id}:{int(process.results_published_at.timestamp())}"
                   if first else None)
    return process


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
        if obj_id is None or kind_name not in _registered_kinds():
            continue
        try:
            kind, obj = content.load(kind_name, obj_id)
        except NotFound:
            continue
        items.append({"kind": kind_name, "id": obj_id, "label": str(kind.label()), "title": kind.title(obj),
                      "url": kind.url(obj)})
    return items


# --- thresholds and the officials' queue ----------------------------------------

def verified_residents(district_id: int | None) -> int:
    """Active resident verifications of the district (all districts when None).

    Counted when the threshold is evaluated, so a percentage follows the
    verified population as it grows; a proposal queued earlier stays queued.
    """
    stmt = sa.select(sa.func.count()).select_from(Verification).where(Verification.revoked_at.is_(None))
    if district_id is not None:
        stmt = stmt.where(Verification.district_id == district_id)
    return db.session.scalar(stmt)


def threshold_needed(process: Process) -> int | None:
    """Supports needed to enter the officials' queue now; None when there is no threshold."""
    if process.threshold_type == ThresholdType.COUNT:
        return process.threshold_value
    if process.threshold_type == ThresholdType.PERCENT:
        residents = verified_residents(process.district_id)
        return max(1, math.ceil(residents * process.threshold_value / 10000))
    return None


def _queue(proposal: Proposal, when: datetime | None = None) -> None:
    when = when or utcnow()
    proposal.queued_at = when
    proposal.answer_due_at = when + timedelta(days=proposal.process.answer_delay_days)


def _check_threshold(proposal: Proposal) -> bool:
    """Queue the proposal if it has just reached its threshold. Returns True if so."""
    if proposal.queued_at is not None or not proposal.is_open:
        return False
    needed = threshold_needed(proposal.process)
    if needed is None or proposal.support_count < needed:
        return False
    _queue(proposal)
    db.session.flush()
    audit.record(None, "proposal.threshold_reached", "proposal", proposal.id, supports=proposal.support_count,
                 needed=needed)
    author = proposal.author
    if author is not None and author.email:
        queue_mail(author.email, lambda p=proposal: _("Your proposal “%(title)s” reached its threshold", title=p.title),
                   "processes/threshold", {"user": author, "proposal": proposal,
                                           "url": absolute_url("processes.proposal", proposal_id=proposal.id)},
                   user=author, dedupe_key=f"proposal-threshold:{proposal.id}")
    return True


def requeue_process(process: Process) -> int:
    """Apply the process's threshold to its open proposals not yet queued."""
    rows = db.session.scalars(sa.select(Proposal).where(
        Proposal.process_id == process.id, Proposal.queued_at.is_(None),
        Proposal.state.in_(OPEN_STATES))).all()
    if process.threshold_type == ThresholdType.NONE:
        for p in rows:
            _queue(p)
        db.session.flush()
        return len(rows)
    return sum(1 for p in rows if _check_threshold(p))


# --- proposals -------------------------------------------------------------------

@dataclass
class ProposalData:
    title: str
    body: str
    district_id: int | None = None
    category: str | None = None
    place: str | None = None


def _validate_proposal(process: Process, data: ProposalData) -> dict:
    errors: dict = {}
    title = clean_text(data.title)
    body = clean_text(data.body, multiline=True)
    errors |= _required(title, "title", _("Give your proposal a title."), 200)
    if len(title) and len(title) < 8:
        errors["title"] = _("Use at least %(n)d characters.", n=8)
    errors |= _required(body, "body", _("Describe your proposal."), 20000)
    if body and len(body) < 30:
        errors["body"] = _("Describe your proposal in at least %(n)d characters.", n=30)
    if not _district_exists(data.district_id):
        errors["district_id"] = _("Choose a district from the list.")
    elif process.district_id is not None and data.district_id not in (None, process.district_id):
        errors["district_id"] = _("This process concerns one district only.")
    category = clean_text(data.category) or None
    if process.categories and category not in process.categories:
        errors["category"] = _("Choose a category from the list.")
    if len(clean_text(data.place)) > 200:
        errors["place"] = _("Use at most %(n)d characters.", n=200)
    return errors


def _set_text(proposal: Proposal, title: str, body: str) -> None:
    proposal.title = clean_text(title)
    proposal.body = clean_text(body, multiline=True)
    proposal.body_html = render_markdown(proposal.body)
    proposal.search_text = normalise_search(f"{proposal.title} {proposal.body}")


def _add_version(proposal: Proposal, source: str, amendment_id: int | None = None) -> ProposalVersion:
    number = (db.session.scalar(sa.select(sa.func.max(ProposalVersion.number)).where(
        ProposalVersion.proposal_id == proposal.id)) or 0) + 1
    v = ProposalVersion(proposal_id=proposal.id, number=number, title=proposal.title, body_html=proposal.body_html,
                        source=source, amendment_id=amendment_id)
    db.session.add(v)
    return v


def submit_proposal(actor, process: Process, data: ProposalData) -> Proposal:
    """Publish a proposal in a process whose current phase allows submitting."""
    require_contributor(actor)
    if not can_view_process(actor, process):
        raise NotFound()
    if not phases.allows("process", process.id, "submit"):
        raise InvalidTransition(_("Proposals cannot be submitted in this phase of the process."))
    if process.requires_verification and not actor.is_verified_for(process.district_id):
        raise PermissionDenied(_("Only verified residents of the district can take part in this process."))
    errors = _validate_proposal(process, data)
    if errors:
        raise ValidationError(fields=errors)
    p = Proposal(process_id=process.id, author_id=actor.id, district_id=data.district_id or process.district_id,
                 category=clean_text(data.category) or None, place=clean_text(data.place) or None,
                 state=ProposalState.PUBLISHED, support_count=0, comment_count=0)
    p.process = process
    _set_text(p, data.title, data.body)
    db.session.add(p)
    db.session.flush()
    _add_version(p, "original")
    if process.threshold_type == ThresholdType.NONE:
        # Without a threshold every proposal is owed an answer from the start.
        _queue(p, p.created_at)
    db.session.flush()
    audit.record(actor, "proposal.published", "proposal", p.id)
    content.created("proposal", p, actor)
    return p


def _require_author(actor, proposal: Proposal) -> None:
    require_contributor(actor)
    if proposal.author_id != actor.id:
        raise PermissionDenied(_("Only the author can do this."))


def can_edit(user, proposal: Proposal) -> bool:
    return (is_user(user) and proposal.author_id == user.id and proposal.support_count == 0
            and proposal.state == ProposalState.PUBLISHED)


def edit_proposal(actor, proposal: Proposal, data: ProposalData) -> Proposal:
    """The author edits the text until the first support arrives."""
    _require_author(actor, proposal)
    if proposal.state != ProposalState.PUBLISHED:
        raise InvalidTransition()
    errors = _validate_proposal(proposal.process, data)
    if errors:
        raise ValidationError(fields=errors)
    title = clean_text(data.title)
    body = clean_text(data.body, multiline=True)
    body_html = render_markdown(body)
    # Conditional UPDATE: a support arriving at the same moment wins, the
    # supporter never endorses a text that changes under them.
    n = db.session.execute(
        sa.update(Proposal).where(Proposal.id == proposal.id, Proposal.support_count == 0).values(
            title=title, body=body, body_html=body_html, search_text=normalise_search(f"{title} {body}"),
            district_id=data.district_id or proposal.process.district_id,
            category=clean_text(data.category) or None, place=clean_text(data.place) or None,
            edited_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if not n:
        raise InvalidTransition(_("This proposal has supports now: you can add a clarification instead."))
    db.session.refresh(proposal)
    _add_version(proposal, "edit")
    db.session.flush()
    audit.record(actor, "proposal.edited", "proposal", proposal.id)
    return proposal


def add_clarification(actor, proposal: Proposal, text: str) -> Clarification:
    """The author adds a dated clarification under the text."""
    _require_author(actor, proposal)
    if proposal.state == ProposalState.WITHDRAWN:
        raise InvalidTransition()
    text = clean_text(text, multiline=True)
    if not text:
        raise ValidationError(fields={"text": _("Write your clarification.")})
    if len(text) > 5000:
        raise ValidationError(fields={"text": _("Use at most %(n)d characters.", n=5000)})
    c = Clarification(proposal_id=proposal.id, body_html=render_markdown(text))
    db.session.add(c)
    db.session.flush()
    audit.record(actor, "proposal.clarified", "proposal", proposal.id, clarification_id=c.id)
    return c


def withdraw_proposal(actor, proposal: Proposal, reason: str) -> Proposal:
    """The author withdraws the proposal, saying why (shown publicly)."""
    _require_author(actor, proposal)
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise ValidationError(fields={"reason": _("Say why you withdraw your proposal.")})
    proposal.move_to(ProposalState.WITHDRAWN)
    proposal.withdrawn_reason = reason[:2000]
    db.session.flush()
    audit.record(actor, "proposal.withdrawn", "proposal", proposal.id, reason=proposal.withdrawn_reason)
    return proposal


# --- amendments ---------------------------------------------------------------

def amendments_open(proposal: Proposal) -> bool:
    pid = proposal.process_id
    return proposal.is_open and (phases.allows("process", pid, "submit") or phases.allows("process", pid, "comment"))


def propose_amendment(actor, proposal: Proposal, title: str, body: str, explanation: str) -> Amendment:
    """Another resident proposes an amended text; the author decides."""
    require_contributor(actor)
    if not can_view_proposal(actor, proposal):
        raise NotFound()
    if proposal.author_id == actor.id:
        raise PermissionDenied(_("You wrote this proposal: edit it or add a clarification instead."))
    if not amendments_open(proposal):
        raise InvalidTransition(_("Amendments are not possible at this stage."))
    process = proposal.process
    if process.requires_verification and not actor.is_verified_for(process.district_id):
        raise PermissionDenied(_("Only verified residents of the district can take part in this process."))
    title_c, body_c = clean_text(title), clean_text(body, multiline=True)
    errors = _required(title_c, "title", _("Give the amended title."), 200)
    errors |= _required(body_c, "body", _("Write the amended text."), 20000)
    explanation = clean_text(explanation, multiline=True)
    errors |= _required(explanation, "explanation", _("Explain what your amendment changes and why."), 2000)
    if not errors and title_c == proposal.title and body_c == proposal.body:
        errors["body"] = _("Your amendment is identical to the current text.")
    if errors:
        raise ValidationError(fields=errors)
    a = Amendment(proposal_id=proposal.id, author_id=actor.id, title=title_c, body=body_c,
                  body_html=render_markdown(body_c), explanation=explanation, state=AmendmentState.PENDING)
    db.session.add(a)
    db.session.flush()
    audit.record(actor, "proposal.amendment_proposed", "proposal", proposal.id, amendment_id=a.id)
    content.created("amendment", a, actor)
    author = proposal.author
    if author is not None and author.email:
        queue_mail(author.email, lambda p=proposal: _("An amendment to your proposal “%(title)s”", title=p.title),
                   "processes/amendment", {"user": author, "proposal": proposal, "amendment": a,
                                           "url": absolute_url("processes.proposal", proposal_id=proposal.id,
                                                               _anchor=f"amendment-{a.id}")},
                   user=author, dedupe_key=f"amendment-proposed:{a.id}")
    return a


def decide_amendment(actor, amendment: Amendment, accept: bool, reason: str = "") -> Amendment:
    """The proposal's author accepts (the text changes, history kept) or
    rejects (with a reason) an amendment. Either way it stays visible."""
    proposal = amendment.proposal
    _require_author(actor, proposal)
    if amendment.state != AmendmentState.PENDING:
        raise InvalidTransition(_("This amendment has already been decided."))
    if not proposal.is_open:
        raise InvalidTransition()
    reason = clean_text(reason, multiline=True)
    if not accept and not reason:
        raise ValidationError(fields={"reason": _("Say why you reject this amendment.")})
    amendment.decided_at = utcnow()
    amendment.decision_reason = reason[:2000] or None
    if accept:
        amendment.state = AmendmentState.ACCEPTED
        _set_text(proposal, amendment.title, amendment.body)
        proposal.edited_at = amendment.decided_at
        db.session.flush()
        _add_version(proposal, "amendment", amendment.id)
        action = "proposal.amendment_accepted"
    else:
        amendment.state = AmendmentState.REJECTED
        action = "proposal.amendment_rejected"
    db.session.flush()
    audit.record(actor, action, "proposal", proposal.id, reason=amendment.decision_reason, amendment_id=amendment.id)
    author = amendment.author
    if author is not None and author.email:
        queue_mail(author.email, lambda p=proposal: _("Your amendment to “%(title)s” was answered", title=p.title),
                   "processes/amendment_decided", {"user": author, "proposal": proposal, "amendment": amendment,
                                                   "url": absolute_url("processes.proposal", proposal_id=proposal.id,
                                                                       _anchor=f"amendment-{amendment.id}")},
                   user=author, dedupe_key=f"amendment-decided:{amendment.id}")
    return amendment


# --- supports ------------------------------------------------------------------

def support_usage(user, process: Process) -> tuple[int, int | None]:
    """``(supports used in this process, limit or None)`` for "3 of 10 supports used"."""
    if not is_user(user):
        return 0, process.support_limit
    used = db.session.scalar(sa.select(sa.func.count()).select_from(Support).where(
        Support.process_id == process.id, Support.user_id == user.id))
    return used, process.support_limit


def supported_ids(user, proposal_ids: list[int]) -> set[int]:
    if not is_user(user) or not proposal_ids:
        return set()
    return set(db.session.scalars(sa.select(Support.proposal_id).where(
        Support.user_id == user.id, Support.proposal_id.in_(proposal_ids))).all())


def support_refusal(user, proposal: Proposal) -> CivicError | None:
    """Why ``user`` cannot support ``proposal`` now (None if they can): the
    page shows the message, the service raises the error."""
    process = proposal.process
    if not proposal.is_open:
        return InvalidTransition(_("This proposal no longer collects supports."))
    if not phases.allows("process", process.id, "support"):
        return InvalidTransition(_("Supports are not collected in this phase of the process."))
    if is_user(user) and process.requires_verification and not user.is_verified_for(process.district_id):
        return PermissionDenied(_("Only verified residents of the district can support proposals in this process."))
    return None


def support_proposal(actor, proposal: Proposal, notify: bool = False) -> Support:
    """Support a proposal: one per person (unique constraint), within the
    process's limit, for verified residents when the process requires it.

    The proposal's counter is incremented by an SQL expression in the same
    transaction: proposals are not a viral hot path (petitions have the
    batched tally), and an exact count at once lets the threshold be checked
    here and "most supported" be an indexed column.
    """
    require_contributor(actor)
    if not can_view_proposal(actor, proposal):
        raise NotFound()
    refusal = support_refusal(actor, proposal)
    if refusal is not None:
        raise refusal
    process = proposal.process
    # Serialise this person's supports (PostgreSQL row lock; SQLite has one
    # writer at a time anyway) so two parallel requests cannot exceed the limit.
    db.session.execute(sa.select(User.id).where(User.id == actor.id).with_for_update())
    if db.session.scalar(sa.select(Support.id).where(Support.proposal_id == proposal.id,
                                                     Support.user_id == actor.id)) is not None:
        raise ValidationError(_("You already support this proposal."))
    used, limit = support_usage(actor, process)
    if limit is not None and used >= limit:
        raise ValidationError(_("You have used all %(n)d of your supports in this process. Withdraw one to support "
                                "another proposal.", n=limit))
    s = Support(proposal_id=proposal.id, process_id=process.id, user_id=actor.id, notify=bool(notify))
    try:
        with db.session.begin_nested():
            db.session.add(s)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise ValidationError(_("You already support this proposal.")) from None
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id).values(
        support_count=Proposal.support_count + 1).execution_options(synchronize_session=False))
    db.session.refresh(proposal, ["support_count"])
    audit.record(actor, "proposal.supported", "proposal", proposal.id)
    _check_threshold(proposal)
    return s


def withdraw_support(actor, proposal: Proposal) -> None:
    """Take a support back, while the phase still collects supports."""
    require_login(actor)
    s = db.session.scalar(sa.select(Support).where(Support.proposal_id == proposal.id, Support.user_id == actor.id))
    if s is None:
        raise ValidationError(_("You do not support this proposal."))
    if not phases.allows("process", proposal.process_id, "support") or not proposal.is_open:
        raise InvalidTransition(_("Supports can no longer be withdrawn: the support phase is over."))
    db.session.delete(s)
    db.session.flush()
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id).values(
        support_count=Proposal.support_count - 1).execution_options(synchronize_session=False))
    db.session.refresh(proposal, ["support_count"])
    audit.record(actor, "proposal.support_withdrawn", "proposal", proposal.id)


def recount_supports() -> int:
    """Periodic job: put every counter back to the number of support rows
    (repairs any drift, e.g. rows removed by hand). Returns the number fixed."""
    counts = (sa.select(sa.func.count()).select_from(Support).where(Support.proposal_id == Proposal.id)
              .scalar_subquery())
    n = db.session.execute(sa.update(Proposal).where(Proposal.support_count != counts)
                           .values(support_count=counts).execution_options(synchronize_session=False)).rowcount
    return n or 0


# --- official answers and follow-up ----------------------------------------------

def _require_answerer(actor, proposal: Proposal) -> None:
    require_login(actor)
    if not can_answer(actor, proposal):
        raise PermissionDenied()


def mark_evaluating(actor, proposal: Proposal, note: str = "") -> Proposal:
    """Officials say the proposal is being studied."""
    _require_answerer(actor, proposal)
    proposal.move_to(ProposalState.EVALUATING)
    if proposal.queued_at is None:
        # Studying it is a promise to answer.
        _queue(proposal)
    db.session.flush()
    audit.record(actor, "proposal.evaluating", "proposal", proposal.id, reason=clean_text(note) or None)
    return proposal


def answer_proposal(actor, proposal: Proposal, decision: str, text: str) -> Proposal:
    """Accept or reject a proposal with a public official answer giving reasons.

    Supporters who asked for it and followers are mailed the answer by a job
    after commit.
    """
    _require_answerer(actor, proposal)
    try:
        new_state = ProposalState(decision)
    except ValueError:
        raise ValidationError(fields={"decision": _("Choose accept or reject.")}) from None
    if new_state not in (ProposalState.ACCEPTED, ProposalState.REJECTED):
        raise ValidationError(fields={"decision": _("Choose accept or reject.")})
    text = clean_text(text, multiline=True)
    if len(text) < 20:
        raise ValidationError(fields={"answer": _("Give the reasons of the decision (at least %(n)d characters).",
                                                  n=20)})
    proposal.move_to(new_state)
    now = utcnow()
    if proposal.queued_at is None:
        _queue(proposal, now)
    proposal.answer = text
    proposal.answer_html = render_markdown(text)
    proposal.answered_at = now
    proposal.answered_by_id = actor.id
    db.session.flush()
    audit.record(actor, f"proposal.{new_state.value}", "proposal", proposal.id)
    from civic.core.jobs import enqueue
    from civic.processes.jobs import mail_answer

    enqueue(mail_answer, proposal.id)
    return proposal


def answer_recipients(proposal: Proposal) -> list[User]:
    """Supporters who opted in, and followers of the proposal, once each."""
    supporters = db.session.scalars(sa.select(User).join(Support, Support.user_id == User.id).where(
        Support.proposal_id == proposal.id, Support.notify.is_(True), User.deleted_at.is_(None),
        User.email.is_not(None))).all()
    seen, out = set(), []
    for u in [*supporters, *follows.followers("proposal", proposal.id)]:
        if u.id not in seen:
            seen.add(u.id)
            out.append(u)
    return out


def add_implementation_update(actor, proposal: Proposal, status: str, progress: int | None,
                              note: str) -> ImplementationUpdate:
    """Dated follow-up of an accepted proposal; "done" makes it implemented."""
    _require_answerer(actor, proposal)
    if proposal.state not in (ProposalState.ACCEPTED, ProposalState.IMPLEMENTED):
        raise InvalidTransition(_("Only accepted proposals get implementation updates."))
    errors = {}
    try:
        status_v = ImplementationStatus(status)
    except ValueError:
        status_v = None
        errors["status"] = _("Choose a status from the list.")
    if progress is None or not 0 <= progress <= 100:
        errors["progress"] = _("Enter a percentage between 0 and 100.")
    note = clean_text(note, multiline=True)
    errors |= _required(note, "note", _("Write what happened."), 5000)
    if errors:
        raise ValidationError(fields=errors)
    if status_v == ImplementationStatus.DONE:
        progress = 100
    u = ImplementationUpdate(proposal_id=proposal.id, status=status_v, progress=progress,
                             note_html=render_markdown(note), author_id=actor.id)
    db.session.add(u)
    db.session.flush()
    audit.record(actor, "proposal.implementation_update", "proposal", proposal.id, status=status_v.value,
                 progress=progress)
    if status_v == ImplementationStatus.DONE and proposal.state == ProposalState.ACCEPTED:
        proposal.move_to(ProposalState.IMPLEMENTED)
        db.session.flush()
        audit.record(actor, "proposal.implemented", "proposal", proposal.id)
    for user in follows.followers("proposal", proposal.id):
        queue_mail(user.email, lambda p=proposal: _("News of “%(title)s”", title=p.title), "processes/update",
                   {"user": user, "proposal": proposal, "update": u, "note": note,
                    "url": absolute_url("processes.proposal", proposal_id=proposal.id)},
                   user=user, topic=f"follow:proposal:{proposal.id}", dedupe_key=f"proposal-update:{u.id}:{user.id}")
    return u


def budget_project_hook():
    """The budgets module's ``create_project_from`` hook, if installed."""
    return content.hook("budget", "create_project_from")


def can_make_budget_project(proposal: Proposal) -> bool:
    return (proposal.state == ProposalState.ACCEPTED and proposal.budget_project_id is None
            and proposal.process.budget_id is not None and budget_project_hook() is not None)


def make_budget_project(actor, proposal: Proposal):
    """Turn an accepted proposal into a project of the process's budget
    edition, through the budgets module's hook (its feasibility review follows)."""
    _require_answerer(actor, proposal)
    hook = budget_project_hook()
    if hook is None or proposal.process.budget_id is None:
        raise InvalidTransition(_("This process has no participatory budget to send projects to."))
    if proposal.state != ProposalState.ACCEPTED:
        raise InvalidTransition(_("Only accepted proposals can become budget projects."))
    if proposal.budget_project_id is not None:
        raise InvalidTransition(_("This proposal is already a budget project."))
    _kind, budget = content.load("budget", proposal.process.budget_id, check_visible=False)
    project = hook(actor, budget, proposal.title, proposal.body, proposal.district_id,
                   source_kind="proposal", source_id=proposal.id)
    proposal.budget_project_id = project.id
    db.session.flush()
    audit.record(actor, "proposal.budget_project", "proposal", proposal.id, budget_id=budget.id,
                 project_id=project.id)
    return project


def budget_project_link(proposal: Proposal) -> dict | None:
    """``{"title", "url"}`` of the budget project made from the proposal, if its kind is installed."""
    if proposal.budget_project_id is None:
        return None
    if "project" not in _registered_kinds():
        return None
    try:
        kind, obj = content.load("project", proposal.budget_project_id)
    except NotFound:
        return None
    return {"title": kind.title(obj), "url": kind.url(obj)}


# --- reading ---------------------------------------------------------------------

ORDERS = ("random", "newest", "supports", "comments")
PRIME = 2147483647  # 2**31 - 1: (id * a + b) mod P is a permutation of ids below P


def random_key(seed: int):
    """SQL expression ordering proposals in a pseudo-random order fixed by ``seed``.

    ``(id * a + b) mod P`` with ``a`` and ``b`` derived from the seed is a
    permutation of ids (P prime, a not 0): the same seed gives the same order
    on every page, on SQLite and PostgreSQL alike (64-bit arithmetic).
    """
    a = 1 + seed % (PRIME - 1)
    b = (seed // (PRIME - 1)) % PRIME
    return (sa.cast(Proposal.id, sa.BigInteger) * a + b) % PRIME


@dataclass
class ProposalFilters:
    district_id: int | None = None
    category: str | None = None
    state: str | None = None


def _visible_proposals(user):
    stmt = sa.select(Proposal).join(Process, Process.id == Proposal.process_id)
    if not (is_user(user) and user.has_any_role(Role.MODERATOR)):
        stmt = stmt.where(Proposal.hidden.is_(False))
    if not (is_user(user) and user.has_any_role(Role.OFFICIAL)):
        stmt = stmt.where(Process.published_at.is_not(None))
    return stmt


def list_proposals(user, process_id: int | None = None, filters: ProposalFilters | None = None,
                   order: str = "random", seed: int = 0, page: int = 1,
                   limit: int = PAGE_SIZE) -> tuple[list[Proposal], bool]:
    """A page of proposals and whether there is a next one; the same number of
    queries whatever the page size (rows, then authors and districts)."""
    filters = filters or ProposalFilters()
    stmt = _visible_proposals(user)
    if process_id is not None:
        stmt = stmt.where(Proposal.process_id == process_id)
    if filters.district_id is not None:
        stmt = stmt.where(Proposal.district_id == filters.district_id)
    if filters.category:
        stmt = stmt.where(Proposal.category == filters.category)
    if filters.state:
        try:
            stmt = stmt.where(Proposal.state == ProposalState(filters.state))
        except ValueError:
            raise ValidationError(fields={"state": _("Choose a state from the list.")}) from None
    if order == "newest":
        stmt = stmt.order_by(Proposal.created_at.desc(), Proposal.id.desc())
    elif order == "supports":
        stmt = stmt.order_by(Proposal.support_count.desc(), Proposal.id.desc())
    elif order == "comments":
        stmt = stmt.order_by(Proposal.comment_count.desc(), Proposal.id.desc())
    else:
        stmt = stmt.order_by(random_key(seed), Proposal.id)
    stmt = stmt.options(selectinload(Proposal.author), selectinload(Proposal.district))
    rows = db.session.scalars(stmt.offset((max(page, 1) - 1) * limit).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


STOPWORDS = frozenset({
    "the", "and", "for", "with", "that", "this", "from", "into", "about", "more", "less", "their", "there",
    "them", "they", "have", "been", "were", "will", "would", "could", "should", "your", "yours", "ours", "what",
    "when", "where", "which", "while", "pour", "avec", "dans", "sans", "sous", "plus", "moins", "leur", "leurs",
    "nous", "vous", "elle", "elles", "sont", "etre", "avoir", "fait", "faire", "cette", "celui", "celle", "ceux",
    "aussi", "comme", "mais", "donc", "entre", "vers", "chez", "tout", "tous", "toute", "toutes", "tres", "peut",
    "quand", "quel", "quelle", "quels", "quelles", "dont", "avant", "apres", "depuis", "encore", "ville", "rue",
    "place", "proposition", "proposal", "idea", "idee", "project", "projet",
})


def significant_words(text: str, limit: int = 8) -> list[str]:
    """Distinct normalised words of at least 4 letters, stop-words removed, longest first."""
    words = []
    for w in normalise_search(text).split():
        if len(w) >= 4 and w not in STOPWORDS and not w.isdigit() and w not in words:
            words.append(w)
    return sorted(words, key=len, reverse=True)[:limit]


def similar_proposals(user, process: Process, text: str, limit: int = 5) -> list[Proposal]:
    """Open proposals of the process that share significant words with ``text``.

    Portable path: one LIKE per word on the normalised ``search_text``,
    ranked by the number of words found (same results on SQLite and
    PostgreSQL). On PostgreSQL the words are matched with full-text search
    instead (prefix queries, ranked by ts_rank), which also uses stemming-free
    word boundaries.
    """
    words = significant_words(text)
    if not words:
        return []
    stmt = _visible_proposals(user).where(Proposal.process_id == process.id,
                                          Proposal.state.in_(OPEN_STATES))
    if db.engine.dialect.name == "postgresql":
        vector = sa.func.to_tsvector("simple", Proposal.search_text)
        query = sa.func.to_tsquery("simple", " | ".join(f"{w}:*" for w in words))
        score = sa.func.ts_rank(vector, query)
        stmt = stmt.where(vector.op("@@")(query))
    else:
        matches = [sa.case((Proposal.search_text.like(f"%{w}%"), 1), else_=0) for w in words]
        score = sum(matches[1:], matches[0])
        stmt = stmt.where(score > 0)
    return db.session.scalars(stmt.order_by(score.desc(), Proposal.support_count.desc(), Proposal.id)
                              .limit(limit)).all()


def proposal_history(proposal: Proposal) -> list[AuditEntry]:
    """Public events of a proposal, oldest first (the accountability timeline)."""
    return db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.kind == "proposal", AuditEntry.object_id == proposal.id,
        AuditEntry.action.in_(PUBLIC_EVENTS)).order_by(AuditEntry.created_at, AuditEntry.id)).all()


def versions(proposal: Proposal) -> list[ProposalVersion]:
    return db.session.scalars(sa.select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id)
                              .order_by(ProposalVersion.number)).all()


def clarifications(proposal: Proposal) -> list[Clarification]:
    return db.session.scalars(sa.select(Clarification).where(Clarification.proposal_id == proposal.id)
                              .order_by(Clarification.created_at, Clarification.id)).all()


def amendments(user, proposal: Proposal) -> list[Amendment]:
    stmt = sa.select(Amendment).where(Amendment.proposal_id == proposal.id).options(selectinload(Amendment.author))
    if not (is_user(user) and user.has_role(Role.MODERATOR, proposal.district_id)):
        stmt = stmt.where(Amendment.hidden.is_(False))
    return db.session.scalars(stmt.order_by(Amendment.created_at, Amendment.id)).all()


def implementation_updates(proposal: Proposal) -> list[ImplementationUpdate]:
    return db.session.scalars(sa.select(ImplementationUpdate).where(ImplementationUpdate.proposal_id == proposal.id)
                              .order_by(ImplementationUpdate.created_at, ImplementationUpdate.id)).all()


def awaiting_answer(process: Process) -> list[Proposal]:
    """Proposals of a process in the officials' queue without an answer, by due date."""
    return db.session.scalars(sa.select(Proposal).where(
        Proposal.process_id == process.id, Proposal.queued_at.is_not(None), Proposal.answered_at.is_(None),
        Proposal.state.in_(OPEN_STATES)).order_by(Proposal.answer_due_at, Proposal.id)).all()


def get_process(process_id: int, user) -> Process:
    process = db.session.get(Process, process_id)
    if process is None or not can_view_process(user, process):
        raise NotFound()
    return process


def get_proposal(proposal_id: int, user) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(user, proposal):
        raise NotFound()
    return proposal


def get_amendment(amendment_id: int) -> Amendment:
    a = db.session.get(Amendment, amendment_id)
    if a is None:
        raise NotFound()
    return a


STATE_LABELS = {
    ProposalState.PUBLISHED: LazyString(lambda: pgettext("proposal state", "Published")),
    ProposalState.EVALUATING: _l("Being evaluated"),
    ProposalState.ACCEPTED: _l("Accepted"),
    ProposalState.REJECTED: _l("Rejected"),
    ProposalState.WITHDRAWN: _l("Withdrawn by its author"),
    ProposalState.IMPLEMENTED: _l("Implemented"),
}

STATUS_LABELS = {
    ImplementationStatus.PLANNED: _l("Planned"),
    ImplementationStatus.IN_PROGRESS: _l("In progress"),
    ImplementationStatus.DONE: LazyString(lambda: pgettext("implementation status", "Done")),
    ImplementationStatus.HALTED: _l("On hold"),
}

PHASE_LABELS = {
    "information": _l("Information"),
    "proposals": _l("Proposals"),
    "support": _l("Supports"),
    "evaluation": _l("Evaluation"),
    "voting": _l("Vote"),
    "answering": _l("Questionnaire"),
    "results": _l("Results"),
    "implementation": _l("Implementation"),
}

EVENT_LABELS = {
    "proposal.published": _l("Proposal published"),
    "proposal.edited": _l("Text edited by its author"),
    "proposal.clarified": _l("Clarification added by its author"),
    "proposal.amendment_proposed": _l("Amendment proposed"),
    "proposal.amendment_accepted": _l("Amendment accepted: the text changed"),
    "proposal.amendment_rejected": _l("Amendment rejected"),
    "proposal.threshold_reached": _l("Support threshold reached: an official answer is owed"),
    "proposal.evaluating": _l("Being evaluated by the city"),
    "proposal.accepted": _l("Accepted, with an official answer"),
    "proposal.rejected": _l("Rejected, with an official answer"),
    "proposal.withdrawn": _l("Withdrawn by its author"),
    "proposal.implementation_update": _l("Implementation update"),
    "proposal.implemented": _l("Implemented"),
    "proposal.budget_project": _l("Became a project of the participatory budget"),
}
