"""Fixtures of the processes tests: processes with phases, proposals, and
fake budget / consultation kinds registered for one test only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civic.core import content, phases
from civic.core.time import utcnow
from civic.extensions import db
from civic.processes import services


@pytest.fixture
def admin(factory):
    return factory.user(email="admin@example.org", name="Admin", roles=["admin"])


@pytest.fixture
def make_process(admin):
    """``make_process(caps=("submit", "support", "comment"), **rules)``: a
    published process whose current phase allows ``caps``."""
    def make(caps=("submit", "support", "comment"), *, title="Plan vélo 2027", ends_in_days=30,
             district=None, **rules):
        data = services.ProcessData(title=title, summary="Proposez des aménagements cyclables.",
                                    description="## Calendrier\n\nTout **le monde** peut proposer.",
                                    district_id=getattr(district, "id", None), **rules)
        process = services.create_process(admin, data)
        now = utcnow()
        services.save_phases(admin, process, [
            phases.PhaseSpec("information", "Information", now - timedelta(days=20), now - timedelta(days=10)),
            phases.PhaseSpec("proposals", "Propositions", now - timedelta(days=10),
                             now + timedelta(days=ends_in_days), tuple(caps)),
            phases.PhaseSpec("results", "Résultats", now + timedelta(days=ends_in_days + 1)),
        ])
        services.publish_process(admin, process)
        db.session.commit()
        return process
    return make


@pytest.fixture
def make_proposal(factory):
    """``make_proposal(process, author=None, title=..., body=...)`` through the service."""
    def make(process, author=None, title="Une piste cyclable rue de Metz",
             body="Une piste cyclable séparée des voitures sur toute la rue de Metz.", **kw):
        author = author or factory.user()
        p = services.submit_proposal(author, process, services.ProposalData(title=title, body=body, **kw))
        db.session.commit()
        return p
    return make


@pytest.fixture
def end_phase():
    """Move a process past its participation phase (into its results phase)."""
    def do(process, admin):
        last = phases.phases_for("process", process.id)[-1]
        phases.move_phase(admin, "process", process.id, last.id, "fin")
        db.session.commit()
    return do


@pytest.fixture
def fake_kinds(monkeypatch):
    """Register "budget" (with a ``create_project_from`` hook), "project"
    and "consultation" kinds for this test only; the previous registrations
    come back afterwards."""
    from tests.processes.fakes import FakeBudgetProject, FakeLinkedItem

    calls = []

    def create_project_from(actor, budget, title, description, district_id, *, source_kind, source_id):
        calls.append((actor.id, budget.id, title, source_kind, source_id))
        project = FakeBudgetProject(budget_id=budget.id, title=title, description=description,
                                    district_id=district_id, source_kind=source_kind, source_id=source_id)
        db.session.add(project)
        db.session.flush()
        return project

    kinds = {
        "budget": content.ContentKind("budget", FakeLinkedItem, lambda: "Participatory budget", lambda o: o.title,
                                      lambda o: f"/budgets/{o.id}", hooks={"create_project_from": create_project_from}),
        "project": content.ContentKind("project", FakeBudgetProject, lambda: "Project",
                                              lambda o: o.title, lambda o: f"/budgets/projects/{o.id}"),
        "consultation": content.ContentKind("consultation", FakeLinkedItem, lambda: "Consultation",
                                            lambda o: o.title, lambda o: f"/consultations/{o.id}"),
    }
    for name, kind in kinds.items():
        monkeypatch.setitem(content._KINDS, name, kind)
    return calls
