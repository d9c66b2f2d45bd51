"""Factories for processes' main objects, built through the services as
admins, residents and officials make them. People and districts come from
``tests/factories.py``."""

from __future__ import annotations

from datetime import timedelta

from civic.core import phases
from civic.core.time import utcnow
from civic.extensions import db
from civic.processes import services
from civic.processes.models import Amendment, Process, Proposal, ProposalState, Support
from tests import factories

TITLE = "Une piste cyclable rue de Metz"
BODY = "Une piste cyclable séparée des voitures sur toute la rue de Metz."
ANSWER = "La Ville retient la proposition : travaux à l'automne 2027."


def admin():
    return factories.user(roles=["admin"])


def process(admin_user=None, caps=("submit", "support", "comment"), *, title: str = "Plan vélo 2027",
            ends_in_days: int = 30, district=None, **rules) -> Process:
    """A published process whose current phase ("proposals") allows ``caps``,
    between a past "information" phase and a coming "results" phase."""
    admin_user = admin_user or admin()
    data = services.ProcessData(title=title, summary="Proposez des aménagements cyclables.",
                                description="## Calendrier\n\nTout **le monde** peut proposer.",
                                district_id=getattr(district, "id", None), **rules)
    made = services.create_process(admin_user, data)
    now = utcnow()
    services.save_phases(admin_user, made, [
        phases.PhaseSpec("information", "Information", now - timedelta(days=20), now - timedelta(days=10)),
        phases.PhaseSpec("proposals", "Propositions", now - timedelta(days=10),
                         now + timedelta(days=ends_in_days), tuple(caps)),
        phases.PhaseSpec("results", "Résultats", now + timedelta(days=ends_in_days + 1)),
    ])
    services.publish_process(admin_user, made)
    db.session.commit()
    return made


def proposal(in_process: Process, author=None, *, state: ProposalState = ProposalState.PUBLISHED,
             official=None, title: str = TITLE, body: str = BODY, **data) -> Proposal:
    """A proposal of ``author`` (a new resident by default) brought to ``state``
    the way it gets there: evaluated, answered (accepted or rejected),
    implemented (accepted then a "done" update), or withdrawn by its author."""
    author = author or factories.user()
    made = services.submit_proposal(author, in_process, services.ProposalData(title=title, body=body, **data))
    if state != ProposalState.PUBLISHED:
        official = official or factories.user(roles=["official"])
        if state == ProposalState.EVALUATING:
            services.mark_evaluating(official, made, "Étude technique")
        elif state in (ProposalState.ACCEPTED, ProposalState.REJECTED, ProposalState.IMPLEMENTED):
            decision = ProposalState.REJECTED if state == ProposalState.REJECTED else ProposalState.ACCEPTED
            services.answer_proposal(official, made, decision.value, ANSWER)
            if state == ProposalState.IMPLEMENTED:
                services.add_implementation_update(official, made, "done", 100, "Travaux terminés.")
        elif state == ProposalState.WITHDRAWN:
            services.withdraw_proposal(author, made, "Une proposition plus complète existe déjà.")
    db.session.commit()
    return made


def amendment(of: Proposal, author=None, *, addition: str = " Avec des arceaux à chaque carrefour.",
              explanation: str = "Il manque le stationnement.") -> Amendment:
    """A pending amendment of ``of`` by another resident: its text plus ``addition``."""
    made = services.propose_amendment(author or factories.user(), of, of.title, of.body + addition, explanation)
    db.session.commit()
    return made


def support(of: Proposal, user=None, *, notify: bool = False) -> Support:
    """A support of ``of`` by ``user`` (a new resident by default)."""
    made = services.support_proposal(user or factories.user(), of, notify=notify)
    db.session.commit()
    return made
