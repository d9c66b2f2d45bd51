"""Fixtures of the processes tests: processes with phases, proposals, and
fake budget / consultation kinds registered for one test only."""

from __future__ import annotations

import pytest

from civic.core import content, phases
from civic.extensions import db
from tests.processes import factories


@pytest.fixture
def admin(factory):
    return factory.user(email="admin@example.org", name="Admin", roles=["admin"])


@pytest.fixture
def make_process(admin):
    """``make_process(caps=("submit", "support", "comment"), **rules)``: a
    published process whose current phase allows ``caps`` (see ``factories.process``)."""
    def make(caps=("submit", "support", "comment"), **kw):
        return factories.process(admin, caps, **kw)
    return make


@pytest.fixture
def make_proposal(app):
    """``make_proposal(process, author=None, title=..., body=..., state=...)`` through the services."""
    return factories.proposal


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
