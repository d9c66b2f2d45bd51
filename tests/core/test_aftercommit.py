"""One mechanism for side effects after commit (jobs, mail triggers, cache purges)."""

import pytest

from civic.core.aftercommit import after_commit
from civic.core.models import PeriodicRun
from civic.extensions import db


def test_side_effect_runs_once_after_the_real_commit_with_everything_collected(app):
    seen = []
    after_commit(db.session, "k", seen.append, [1])
    with db.session.begin_nested():  # releasing a savepoint is not a commit
        after_commit(db.session, "k", seen.append, [2, 3])
    assert seen == []
    db.session.commit()
    assert seen == [[1, 2, 3]]
    db.session.commit()  # nothing left for a later commit
    assert seen == [[1, 2, 3]]


def test_rollback_drops_side_effects_but_a_savepoint_rollback_keeps_the_outer_ones(app):
    seen = []
    after_commit(db.session, "k", seen.append, ["dropped"])
    db.session.rollback()  # no SQL emitted yet: still dropped
    db.session.commit()
    assert seen == []
    after_commit(db.session, "k", seen.append, ["kept"])
    nested = db.session.begin_nested()
    db.session.add(PeriodicRun(name="x"))
    nested.rollback()
    db.session.commit()
    assert seen == [["kept"]]


def test_a_failing_side_effect_does_not_cancel_the_others(app):
    seen = []

    def fail(_items):
        raise RuntimeError("redis down")

    after_commit(db.session, "first", fail, [1])
    after_commit(db.session, "second", seen.append, [2])
    with pytest.raises(RuntimeError):
        db.session.commit()
    assert seen == [[2]]
