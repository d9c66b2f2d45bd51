"""Amendments: another resident proposes an amended text, the proposal's
author accepts it (the text changes, the history keeps every version) or
rejects it with a reason. Either way it stays visible."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from civic.core import audit, content, phases, security
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.permissions import is_contributor, require
from civic.core.sanitize import clean_text, render_markdown
from civic.core.transitions import allowed, transition
from civic.extensions import db
from civic.processes import permissions
from civic.processes.models import AMENDMENT_TRANSITIONS, Amendment, AmendmentState, Proposal
from civic.processes.services.common import required_text
from civic.processes.services.mailing import mail_amendment_decided, mail_amendment_proposed
from civic.processes.services.proposals import add_version, set_text

# Amending is finer-grained work than proposing: twice the proposals' daily limit.
AMENDMENTS_PER_DAY = 10
DAY = 86400


def _amendments_limit_message(retry_after: int) -> str:
    return ngettext("You have proposed %(limit)d amendments today, the most one person can propose in a day. "
                    "You can propose another in %(num)d hour; your text is kept below.",
                    "You have proposed %(limit)d amendments today, the most one person can propose in a day. "
                    "You can propose another in %(num)d hours; your text is kept below.",
                    security.wait_hours(retry_after), limit=AMENDMENTS_PER_DAY)


def amendments_open(proposal: Proposal) -> bool:
    """Amendments are taken while the proposal is open and the phase takes proposals or comments."""
    pid = proposal.process_id
    return proposal.is_open and (phases.allows("process", pid, "submit") or phases.allows("process", pid, "comment"))


def propose_amendment(actor, proposal: Proposal, title: str, body: str, explanation: str) -> Amendment:
    """Another resident proposes an amended text; the author decides."""
    require(is_contributor(actor))
    if not permissions.can_view_proposal(actor, proposal):
        raise NotFound()
    require(permissions.can_propose_amendment(actor, proposal))
    if not amendments_open(proposal):
        raise InvalidTransition(_("Amendments are not possible at this stage."))
    if not permissions.is_verified_for_process(actor, proposal.process):
        raise PermissionDenied(_("Only verified residents of the district can take part in this process."))
    title_c, body_c = clean_text(title), clean_text(body, multiline=True)
    errors = required_text(title_c, "title", _("Give the amended title."), 200)
    errors |= required_text(body_c, "body", _("Write the amended text."), 20000)
    explanation = clean_text(explanation, multiline=True)
    errors |= required_text(explanation, "explanation", _("Explain what your amendment changes and why."), 2000)
    if not errors and title_c == proposal.title and body_c == proposal.body:
        errors["body"] = _("Your amendment is identical to the current text.")
    if errors:
        raise ValidationError(fields=errors)
    security.require_within(f"amendment-propose:{actor.id}", AMENDMENTS_PER_DAY, DAY, _amendments_limit_message)
    a = Amendment(proposal_id=proposal.id, author_id=actor.id, title=title_c, body=body_c,
                  body_html=render_markdown(body_c), explanation=explanation, state=AmendmentState.PENDING)
    db.session.add(a)
    db.session.flush()
    audit.record(actor, "proposal.amendment_proposed", "proposal", proposal.id, amendment_id=a.id)
    content.created("amendment", a, actor)
    mail_amendment_proposed(proposal, a)
    return a


def decide_amendment(actor, amendment: Amendment, accept: bool, reason: str = "") -> Amendment:
    """The proposal's author accepts (the text changes, history kept) or
    rejects (with a reason) an amendment. Either way it stays visible."""
    require(permissions.can_decide_amendment(actor, amendment))
    proposal = amendment.proposal
    decided = _("This amendment has already been decided.")
    to = AmendmentState.ACCEPTED if accept else AmendmentState.REJECTED
    # Checked before the reason, so a decided amendment says so whatever is sent.
    if not allowed(AMENDMENT_TRANSITIONS, amendment.state, to):
        raise InvalidTransition(decided)
    if not proposal.is_open:
        raise InvalidTransition()
    reason = clean_text(reason, multiline=True)
    if not accept and not reason:
        raise ValidationError(fields={"reason": _("Say why you reject this amendment.")})
    # The audit entry is the proposal's (its public timeline), so the move is recorded below.
    transition(amendment, AMENDMENT_TRANSITIONS, to, actor, None, stamp="decided_at", message=decided)
    amendment.decision_reason = reason[:2000] or None
    if accept:
        set_text(proposal, amendment.title, amendment.body)
        proposal.edited_at = amendment.decided_at
        db.session.flush()
        add_version(proposal, "amendment", amendment.id)
    db.session.flush()
    action = "proposal.amendment_accepted" if accept else "proposal.amendment_rejected"
    audit.record(actor, action, "proposal", proposal.id, reason=amendment.decision_reason, amendment_id=amendment.id)
    mail_amendment_decided(proposal, amendment)
    return amendment
