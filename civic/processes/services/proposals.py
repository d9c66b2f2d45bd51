"""Proposals by their authors: submit, edit before the first support,
clarify, withdraw. Every text a proposal had is kept as a version."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from civic.core import audit, content, phases, pictures, security
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.permissions import is_contributor, require
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.extensions import db
from civic.processes import permissions
from civic.processes.models import (
    TRANSITIONS,
    Clarification,
    Process,
    Proposal,
    ProposalState,
    ProposalVersion,
    ThresholdType,
)
from civic.processes.services.common import district_exists, normalise_search, required_text
from civic.processes.services.thresholds import queue_for_answer

# A resident with a lot to say writes a few proposals a day; a script, hundreds.
PROPOSALS_PER_DAY = 5
DAY = 86400


def _proposals_limit_message(retry_after: int) -> str:
    return ngettext("You have published %(limit)d proposals today, the most one person can publish in a day. "
                    "You can publish another in %(num)d hour; your text is kept below.",
                    "You have published %(limit)d proposals today, the most one person can publish in a day. "
                    "You can publish another in %(num)d hours; your text is kept below.",
                    security.wait_hours(retry_after), limit=PROPOSALS_PER_DAY)


@dataclass
class ProposalData:
    """What an author writes (the form's cleaned fields)."""

    title: str
    body: str
    district_id: int | None = None
    category: str | None = None
    place: str | None = None
    # The picture fields as read by civic.core.pictures.stage (None: unchanged).
    picture: pictures.PictureInput | None = None


def _validate_proposal(process: Process, data: ProposalData) -> dict:
    errors: dict = {}
    title = clean_text(data.title)
    body = clean_text(data.body, multiline=True)
    errors |= required_text(title, "title", _("Give your proposal a title."), 200)
    if len(title) and len(title) < 8:
        errors["title"] = _("Use at least %(n)d characters.", n=8)
    errors |= required_text(body, "body", _("Describe your proposal."), 20000)
    if body and len(body) < 30:
        errors["body"] = _("Describe your proposal in at least %(n)d characters.", n=30)
    if not district_exists(data.district_id):
        errors["district_id"] = _("Choose a district from the list.")
    elif process.district_id is not None and data.district_id not in (None, process.district_id):
        errors["district_id"] = _("This process concerns one district only.")
    category = clean_text(data.category) or None
    # Optional, as the form says; when given, one of the process's.
    if category is not None and category not in (process.categories or []):
        errors["category"] = _("Choose a category from the list.")
    if len(clean_text(data.place)) > 200:
        errors["place"] = _("Use at most %(n)d characters.", n=200)
    return errors


def set_text(proposal: Proposal, title: str, body: str) -> None:
    """Give the proposal a new (sanitized) text and its search form."""
    proposal.title = clean_text(title)
    proposal.body = clean_text(body, multiline=True)
    proposal.body_html = render_markdown(proposal.body)
    proposal.search_text = normalise_search(f"{proposal.title} {proposal.body}")


def add_version(proposal: Proposal, source: str, amendment_id: int | None = None) -> ProposalVersion:
    """Keep the proposal's current text as its next version."""
    number = (db.session.scalar(sa.select(sa.func.max(ProposalVersion.number)).where(
        ProposalVersion.proposal_id == proposal.id)) or 0) + 1
    v = ProposalVersion(proposal_id=proposal.id, number=number, title=proposal.title, body_html=proposal.body_html,
                        source=source, amendment_id=amendment_id)
    db.session.add(v)
    return v


def submit_proposal(actor, process: Process, data: ProposalData) -> Proposal:
    """Publish a proposal in a process whose current phase allows submitting."""
    require(is_contributor(actor))
    if not permissions.can_view_process(actor, process):
        raise NotFound()
    if not phases.allows("process", process.id, "submit"):
        raise InvalidTransition(_("Proposals cannot be submitted in this phase of the process."))
    if not permissions.is_verified_for_process(actor, process):
        raise PermissionDenied(_("Only verified residents of the district can take part in this process."))
    errors = _validate_proposal(process, data) | pictures.check(data.picture, "proposal", None)
    if errors:
        raise ValidationError(fields=errors)
    security.require_within(f"proposal-submit:{actor.id}", PROPOSALS_PER_DAY, DAY, _proposals_limit_message)
    p = Proposal(process_id=process.id, author_id=actor.id, district_id=data.district_id or process.district_id,
                 category=clean_text(data.category) or None, place=clean_text(data.place) or None,
                 state=ProposalState.PUBLISHED, support_count=0, comment_count=0)
    p.process = process
    set_text(p, data.title, data.body)
    db.session.add(p)
    db.session.flush()
    pictures.apply(data.picture, "proposal", p.id)
    add_version(p, "original")
    if process.threshold_type == ThresholdType.NONE:
        # Without a threshold every proposal is owed an answer from the start.
        queue_for_answer(p, p.created_at)
    db.session.flush()
    audit.record(actor, "proposal.published", "proposal", p.id)
    content.created("proposal", p, actor)
    return p


def edit_proposal(actor, proposal: Proposal, data: ProposalData) -> Proposal:
    """The author edits the text until the first support arrives."""
    require(permissions.can_act_as_author(actor, proposal))
    if proposal.state != ProposalState.PUBLISHED:
        raise InvalidTransition()
    errors = _validate_proposal(proposal.process, data) | pictures.check(data.picture, "proposal", proposal.id)
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
    pictures.apply(data.picture, "proposal", proposal.id)
    add_version(proposal, "edit")
    db.session.flush()
    audit.record(actor, "proposal.edited", "proposal", proposal.id)
    return proposal


def add_clarification(actor, proposal: Proposal, text: str) -> Clarification:
    """The author adds a dated clarification under the text."""
    require(permissions.can_act_as_author(actor, proposal))
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
    require(permissions.can_act_as_author(actor, proposal))
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise ValidationError(fields={"reason": _("Say why you withdraw your proposal.")})
    transition(proposal, TRANSITIONS, ProposalState.WITHDRAWN, actor, "proposal.withdrawn",
               stamp="state_changed_at", reason=reason[:2000])
    proposal.withdrawn_reason = reason[:2000]
    db.session.flush()
    return proposal
