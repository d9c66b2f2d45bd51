"""Jobs of the processes module. They take ids and are idempotent."""

from __future__ import annotations

from flask_babel import gettext as _

from civic.core.urls import absolute_url
from civic.extensions import db


def mail_answer(proposal_id: int) -> int:
    """Mail a proposal's official answer to its supporters who asked for it
    and to its followers. Each mail has a dedupe key (proposal, person), so a
    retried or concurrent run sends nothing twice. Returns mails queued."""
    from civic.core.outbox import queue_mail
    from civic.processes.models import Proposal
    from civic.processes.services import STATE_LABELS, answer_recipients

    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.answered_at is None or proposal.hidden:
        return 0
    url = absolute_url("processes.proposal", proposal_id=proposal.id)
    stamp = int(proposal.answered_at.timestamp())
    sent = 0
    for user in answer_recipients(proposal):
        msg = queue_mail(
            user.email, lambda p=proposal: _("The city answered “%(title)s”", title=p.title), "processes/answer",
            {"user": user, "proposal": proposal, "url": url, "state_label": STATE_LABELS[proposal.state]},
            user=user, topic=f"follow:proposal:{proposal.id}", dedupe_key=f"proposal-answer:{proposal.id}:{stamp}:{user.id}")
        sent += msg is not None
    return sent


def recount_supports() -> None:
    """Periodic: repair support counters from the support rows."""
    from civic.processes.services import recount_supports as recount

    recount()
