"""Jobs of the processes module. They take ids and are idempotent."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import User
from civic.core import follows
from civic.core.outbox import queue_mail
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.processes.labels import STATE_LABELS
from civic.processes.models import Proposal, Support


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


def mail_answer(proposal_id: int) -> int:
    """Mail a proposal's official answer to its supporters who asked for it
    and to its followers. Each mail has a dedupe key (proposal, person), so a
    retried or concurrent run sends nothing twice. Returns mails queued."""
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


def recount_supports() -> int:
    """Periodic: put every support counter back to the number of support rows
    (repairs any drift, e.g. rows removed by hand). Returns the number fixed."""
    counts = (sa.select(sa.func.count()).select_from(Support).where(Support.proposal_id == Proposal.id)
              .scalar_subquery())
    n = db.session.execute(sa.update(Proposal).where(Proposal.support_count != counts)
                           .values(support_count=counts).execution_options(synchronize_session=False)).rowcount
    return n or 0
