"""The mails processes send from services: put in the outbox in the same
transaction, each with its dedupe key (the official answer is mailed by a job,
see ``civic.processes.jobs.mail_answer``)."""

from __future__ import annotations

from flask_babel import gettext as _

from civic.core import follows
from civic.core.outbox import queue_mail
from civic.core.urls import absolute_url
from civic.processes.models import Amendment, ImplementationUpdate, Process, Proposal


def mail_results(process: Process, first: bool) -> None:
    """Followers of a process get its results; only the first publication is
    deduplicated (an update of the results is news again)."""
    stamp = int(process.results_published_at.timestamp())
    for user in follows.followers("process", process.id):
        queue_mail(user.email, lambda p=process: _("Results of “%(title)s”", title=p.title), "processes/results",
                   {"user": user, "process": process, "url": absolute_url("processes.show", process_id=process.id)},
                   user=user, topic=f"follow:process:{process.id}",
                   dedupe_key=f"process-results:{process.id}:{user.id}:{stamp}" if first else None)


def mail_threshold_reached(proposal: Proposal) -> None:
    author = proposal.author
    if author is not None and author.email:
        queue_mail(author.email, lambda p=proposal: _("Your proposal “%(title)s” reached its threshold", title=p.title),
                   "processes/threshold", {"user": author, "proposal": proposal,
                                           "url": absolute_url("processes.proposal", proposal_id=proposal.id)},
                   user=author, dedupe_key=f"proposal-threshold:{proposal.id}")


def _mail_about_amendment(user, subject, template: str, proposal: Proposal, amendment: Amendment,
                          dedupe_key: str) -> None:
    if user is None or not user.email:
        return
    queue_mail(user.email, subject, template,
               {"user": user, "proposal": proposal, "amendment": amendment,
                "url": absolute_url("processes.proposal", proposal_id=proposal.id, _anchor=f"amendment-{amendment.id}")},
               user=user, dedupe_key=dedupe_key)


def mail_amendment_proposed(proposal: Proposal, amendment: Amendment) -> None:
    """The proposal's author is told of a new amendment to decide on."""
    _mail_about_amendment(proposal.author,
                          lambda p=proposal: _("An amendment to your proposal “%(title)s”", title=p.title),
                          "processes/amendment", proposal, amendment, f"amendment-proposed:{amendment.id}")


def mail_amendment_decided(proposal: Proposal, amendment: Amendment) -> None:
    """The amendment's author is told of the decision."""
    _mail_about_amendment(amendment.author,
                          lambda p=proposal: _("Your amendment to “%(title)s” was answered", title=p.title),
                          "processes/amendment_decided", proposal, amendment, f"amendment-decided:{amendment.id}")


def mail_implementation_update(proposal: Proposal, update: ImplementationUpdate, note: str) -> None:
    for user in follows.followers("proposal", proposal.id):
        queue_mail(user.email, lambda p=proposal: _("News of “%(title)s”", title=p.title), "processes/update",
                   {"user": user, "proposal": proposal, "update": update, "note": note,
                    "url": absolute_url("processes.proposal", proposal_id=proposal.id)},
                   user=user, topic=f"follow:proposal:{proposal.id}",
                   dedupe_key=f"proposal-update:{update.id}:{user.id}")
