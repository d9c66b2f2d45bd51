"""Processes working with the real budgets and deliberation modules through
the content registry (no fakes)."""

from datetime import timedelta

import sqlalchemy as sa

from civic.budgets import services as budgets
from civic.budgets.models import Project
from civic.core.time import utcnow
from civic.deliberation import services as deliberation
from civic.extensions import db
from civic.processes import services
from civic.processes.models import Proposal


def test_accepted_proposal_becomes_a_project_of_the_linked_budget_awaiting_review(factory, admin, make_proposal):
    now = utcnow()
    edition = budgets.create_edition(
        admin, title="Budget participatif 2027", description="Pour tous.", total_amount=100_000,
        rules=budgets.RuleParams(vote_rule="approval", selection_rule="greedy", min_choices=1, max_choices=2),
        phase_starts={code: now + timedelta(days=10 * j) for j, code in enumerate(budgets.PHASE_CODES)})
    envelope = budgets.set_envelope(admin, edition, None, 100_000)
    budgets.publish_edition(admin, edition)
    process = services.create_process(admin, services.ProcessData(
        title="Plan vélo 2027", summary="Des idées pour le vélo.", description="Proposez.", budget_id=edition.id))
    from civic.core import phases

    services.save_phases(admin, process, [phases.PhaseSpec("proposals", "Propositions", now - timedelta(days=1),
                                                           now + timedelta(days=30), ("submit", "support", "comment"))])
    services.publish_process(admin, process)
    db.session.commit()
    proposal = make_proposal(process)
    services.answer_proposal(admin, proposal, "accepted", "Excellente idée, la ville la reprend à son compte.")
    assert services.can_make_budget_project(proposal)
    project = services.make_budget_project(admin, proposal)
    db.session.commit()
    row = db.session.get(Project, project.id)
    assert row.edition_id == edition.id and row.envelope_id == envelope.id and row.title == proposal.title
    # Not on the ballot until the city's feasibility review sets a real cost.
    assert budgets.ballot_projects(envelope) == []
    assert services.budget_project_link(db.session.get(Proposal, proposal.id))["title"] == proposal.title


def test_comments_on_proposals_feed_the_most_commented_order(factory, make_process, make_proposal):
    process = make_process()
    quiet = make_proposal(process, title="Des arceaux devant la médiathèque")
    lively = make_proposal(process, title="Une vélorue avenue de Muret")
    for i in range(2):
        deliberation.post_comment(factory.user(), "proposal", lively.id, f"Argument numéro {i} pour.", "for")
    db.session.commit()
    ids = [p.id for p in services.list_proposals(None, process.id, order="comments")[0]]
    assert ids.index(lively.id) < ids.index(quiet.id)
    assert db.session.scalar(sa.select(Proposal.comment_count).where(Proposal.id == lively.id)) == 2
