"""core.transitions: the one guarded, audited way to change a state."""

import enum
from datetime import datetime

import pytest
import sqlalchemy as sa

from civic.core.errors import InvalidTransition
from civic.core.models import AuditEntry
from civic.core.transitions import allowed, transition
from civic.extensions import db


class State(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


FLOW = {State.DRAFT: {State.OPEN}, State.OPEN: {State.CLOSED}, State.CLOSED: set()}


class Item:
    __tablename__ = "item"

    def __init__(self, state):
        self.id, self.state, self.changed_at = 7, state, None


def _audit():
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.kind == "item")).all()


def test_an_allowed_move_sets_the_state_stamps_it_and_writes_one_audit_entry(app):
    item = Item(State.DRAFT)
    previous = transition(item, FLOW, State.OPEN, None, "items.open", stamp="changed_at", reason="ready")
    assert previous == State.DRAFT and item.state == State.OPEN and item.changed_at is not None
    [entry] = _audit()
    assert (entry.action, entry.object_id, entry.reason) == ("items.open", 7, "ready")
    assert entry.data == {"from": "draft", "to": "open"}


def test_a_move_the_flow_does_not_allow_changes_nothing(app):
    item = Item(State.CLOSED)
    with pytest.raises(InvalidTransition) as err:
        transition(item, FLOW, State.OPEN, None, "items.open")
    assert err.value.status == 409
    assert item.state == State.CLOSED and _audit() == []


def test_allowed_reads_the_flow():
    assert allowed(FLOW, State.DRAFT, State.OPEN)
    assert not allowed(FLOW, State.DRAFT, State.CLOSED)
    assert not allowed(FLOW, "unknown", State.OPEN)


def test_compare_and_set_lets_one_of_two_racing_decisions_win(app, factory):
    # Two moderators decide the same case: the second finds it already decided.
    from civic.core.transitions import compare_and_set
    from civic.moderation.models import CASE_FLOW, CaseStatus, ModerationCase

    case = ModerationCase(kind="comment", object_id=1)
    db.session.add(case)
    db.session.commit()
    first = datetime(2026, 12, 2, 10, 0)
    assert compare_and_set(case, CASE_FLOW, CaseStatus.DECIDED, attr="status", decided_at=first) is True
    assert case.status == CaseStatus.DECIDED
    later = datetime(2026, 12, 2, 10, 1)
    assert compare_and_set(case, CASE_FLOW, CaseStatus.DECIDED, attr="status", decided_at=later) is False
    assert case.decided_at == first  # the winner's values stay
