"""The tally and the confirmation mails find their rows through the partial
indexes ``WHERE dirty`` and ``WHERE mail_pending`` on PostgreSQL.

A query written ``dirty IS true`` does not match the index's predicate: the
planner then walked the primary key through every tallied row, which
``bench/bench_scale.py`` measured at 26 s a batch with 10 M signatures."""

import pytest
import sqlalchemy as sa

from civic.extensions import db
from civic.petitions.models import Signature
from civic.petitions.services.confirmations import queue_signature_mails


def _plans(fn, column):
    """EXPLAIN of every SELECT on petition_signature that ``fn`` ran with ``column`` in its WHERE."""
    seen = []

    def listener(_conn, _cursor, statement, parameters, *_args):
        where = statement.partition("WHERE")[2]
        if statement.lstrip().startswith("SELECT") and "FROM petition_signature" in statement and column in where:
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    plans = []
    with db.engine.connect() as conn:
        # Tables of a few rows: without this, a sequential scan is cheapest whatever the WHERE says.
        conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            plans.append("\n".join(r[0] for r in rows))
    return plans


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL planner's choice of index")


def test_the_tally_reads_dirty_rows_through_their_partial_index(postgres_only, pf, tally):
    petition = pf.petition()
    pf.signatures(petition, 5)  # validated, dirty
    plans = _plans(tally, "dirty")
    assert plans, "the tally read no dirty rows"
    assert all("ix_petition_signature_dirty" in p for p in plans), plans
    assert reload_count(petition) == 5


def test_the_mail_claim_reads_pending_rows_through_their_partial_index(postgres_only, pf):
    petition = pf.petition()
    ids = pf.signatures(petition, 3, state="pending")
    db.session.execute(sa.update(Signature).where(Signature.id.in_(ids)).values(mail_pending=True))
    db.session.commit()
    plans = _plans(lambda: queue_signature_mails(enqueue=False), "mail_pending")
    db.session.rollback()
    assert plans, "the claim read no pending rows"
    assert all("ix_petition_signature_mail_pending" in p for p in plans), plans


def reload_count(petition):
    db.session.expire_all()
    return db.session.get(type(petition), petition.id).signature_count
