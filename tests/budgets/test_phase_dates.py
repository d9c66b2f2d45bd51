"""Phases follow their dates even when the scheduler is down or late
(``core/phases.py``, on budget editions), and a change fires the owner's
``phase_changed`` hook exactly once, even with two advancers."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa

from civic.budgets import services as budgets
from civic.core import content, phases
from civic.core.time import utcnow
from civic.extensions import db

from . import factories


def _edition(budget, clock):
    """A published edition whose information phase began yesterday and whose
    submission phase begins in nine days (the clock stands at real now)."""
    clock.set(utcnow())
    edition = factories.edition(budget.official, phase="information")
    assert phases.current_phase(budgets.KIND, edition.id).code == "information"
    db.session.commit()
    return edition


def _current_code(edition):
    db.session.expire_all()
    return db.session.scalar(sa.select(phases.Phase.code).where(
        phases.Phase.owner_kind == budgets.KIND, phases.Phase.owner_id == edition.id,
        phases.Phase.is_current.is_(True)))


def test_a_visitor_the_api_and_a_service_see_the_phase_the_dates_say_without_the_scheduler(
        app, client, budget, clock):
    edition = _edition(budget, clock)
    clock.advance(days=10)  # submission began yesterday; no periodic job has run
    html = client.get(f"/budgets/{edition.id}").get_data(as_text=True)
    current = html.split('aria-current="step"', 1)[1].split("</li>", 1)[0]
    assert "Submission of projects" in current
    assert _current_code(edition) == "submission"
    clock.advance(days=10)  # review began yesterday
    body = client.get(f"/api/v1/budgets/{edition.id}").get_json()
    assert "review" in str(body)
    clock.advance(days=10)  # voting began yesterday: a service asking "may one vote?" is told yes
    assert phases.allows(budgets.KIND, edition.id, "vote")
    assert _current_code(edition) == "voting"


def test_the_hook_fires_once_per_change_and_a_late_advancer_changes_nothing(app, budget, clock, monkeypatch):
    edition = _edition(budget, clock)
    calls = []
    real_hook = content.hook
    monkeypatch.setattr(content, "hook", lambda kind, name: (lambda owner, old, new: calls.append((old, new)))
                        if (kind, name) == (budgets.KIND, "phase_changed") else real_hook(kind, name))
    clock.advance(days=10)
    assert phases.current_phase(budgets.KIND, edition.id).code == "submission"  # a service reads it
    information = next(p for p in phases.phases_for(budgets.KIND, edition.id) if p.code == "information")
    submission = next(p for p in phases.phases_for(budgets.KIND, edition.id) if p.code == "submission")
    db.session.commit()
    assert calls == [("information", "submission")]
    assert phases.advance_phases() == 0 and phases.catch_up() == 0
    assert calls == [("information", "submission")]
    # A second advancer that read "information is current" before the first
    # one committed tries the same change: its compare-and-set finds nothing.
    monkeypatch.setattr(phases, "_current_row", lambda kind, oid: SimpleNamespace(
        id=information.id, code="information", position=information.position))
    assert phases._enter(budgets.KIND, edition.id, submission, None, None) is False
    db.session.commit()
    assert calls == [("information", "submission")]
    assert _current_code(edition) == "submission"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(phases.Phase).where(
        phases.Phase.owner_id == edition.id, phases.Phase.is_current.is_(True))) == 1
