"""Counting signatures: the tally job and the nightly reconciliation.

Why a per-row ``dirty`` flag rather than an id or time watermark: signatures
commit out of order (a transaction that got id 10 may commit after id 11 was
tallied), and a watermark then needs a safety lag and re-scans. Here every
change that alters what a row contributes sets ``dirty``; a tally batch
reads dirty rows, adds ``should_count - counted`` to the counters, and sets
``counted`` / clears ``dirty`` on exactly those rows, all in one transaction.

Invariant, true after every commit: ``petition.signature_count`` equals the
number of its rows with ``counted`` (and likewise per district and for paper).
A batch either commits whole or not at all, so a worker killed mid-tally
leaves the previous (exact) state; a row committed late is still dirty and
is folded in by the next run. Rows are locked while a batch works on them
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the batch takes the write
lock before reading), so a withdrawal cannot slip between read and write.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import sqlalchemy as sa

from civic.core import audit
from civic.core.jobs import job_lock
from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions import caching
from civic.petitions.models import DistrictCount, Petition, Signature, SignatureSource, SignatureState
from civic.petitions.services.thresholds import check_thresholds

log = logging.getLogger("civic.petitions.tally")

BATCH = 5000
LOCK = "petitions.counters"


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _begin_exclusive() -> None:
    # SQLite starts a transaction at the first write and takes the database
    # write lock there: a no-op write first means no writer can commit between
    # our reads and our writes.
    if _sqlite():
        db.session.execute(sa.text("UPDATE petition SET id = id WHERE 0"))


def tally_signatures(batch: int = BATCH, max_batches: int = 50) -> int:
    """Periodic job (every few seconds): fold dirty signatures into counts.

    Commits after each batch: a crash loses at most the batch in progress,
    which is rolled back and redone by the next run.
    """
    total = 0
    with job_lock(LOCK, ttl=600) as got:
        if not got:
            log.info("tally already running; skipped")
            return 0
        try:
            for _ in range(max_batches):
                n = tally_batch(batch)
                db.session.commit()
                total += n
                if n < batch:
                    break
        except Exception:
            # Roll back before the lock is released: the batch in progress is
            # undone whole, and the SQLite write lock is let go.
            db.session.rollback()
            raise
    return total


def tally_batch(batch: int = BATCH) -> int:
    """One atomic batch; returns the number of dirty rows processed."""
    _begin_exclusive()
    t = Signature.__table__
    stmt = (sa.select(t.c.id, t.c.petition_id, t.c.district_id, t.c.source, t.c.state, t.c.flagged, t.c.counted)
            # ``WHERE dirty``, never ``dirty IS true``: PostgreSQL matches only the
            # former to the partial index; the latter walked the primary key
            # through every tallied row (26 s a batch at 10 M rows, bench_scale.py).
            .where(t.c.dirty).order_by(t.c.id).limit(batch))
    if not _sqlite():
        stmt = stmt.with_for_update(skip_locked=True)
    rows = db.session.execute(stmt).all()
    if not rows:
        return 0
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])   # petition -> [total, paper]
    districts: dict[tuple[int, int | None], int] = defaultdict(int)
    to_count, to_uncount = [], []
    for r in rows:
        should = r.state == SignatureState.VALIDATED.value and not r.flagged
        (to_count if should else to_uncount).append(r.id)
        delta = int(should) - int(bool(r.counted))
        if delta:
            totals[r.petition_id][0] += delta
            if r.source == SignatureSource.PAPER.value:
                totals[r.petition_id][1] += delta
            districts[(r.petition_id, r.district_id)] += delta
    apply_petition_deltas(totals)
    apply_district_deltas(districts)
    caching.counts_changed(db.session, (pid for pid, d in totals.items() if any(d)))
    for ids, counted in ((to_count, True), (to_uncount, False)):
        for i in range(0, len(ids), 900):
            db.session.execute(t.update().where(t.c.id.in_(ids[i:i + 900])).values(counted=counted, dirty=False))
    check_thresholds_for(list(totals))
    return len(rows)


def apply_petition_deltas(totals: dict) -> None:
    now = utcnow()
    t = Petition.__table__
    for pid, (delta, paper) in totals.items():
        if delta or paper:
            db.session.execute(t.update().where(t.c.id == pid).values(
                signature_count=t.c.signature_count + delta, paper_count=t.c.paper_count + paper,
                tallied_at=now, updated_at=now))


def apply_district_deltas(districts: dict) -> None:
    t = DistrictCount.__table__
    for (pid, did), delta in districts.items():
        if not delta:
            continue
        where = [t.c.petition_id == pid, t.c.district_id.is_(None) if did is None else t.c.district_id == did]
        if db.session.execute(t.update().where(*where).values(count=t.c.count + delta)).rowcount == 0:
            db.session.execute(t.insert().values(petition_id=pid, district_id=did, count=delta))


def check_thresholds_for(petition_ids: list[int]) -> None:
    if not petition_ids:
        return
    db.session.expire_all()
    for petition in db.session.scalars(sa.select(Petition).where(Petition.id.in_(petition_ids))).all():
        check_thresholds(petition)
    db.session.flush()


def reconcile_counts() -> dict:
    """Nightly: recount from the rows and repair any drift (audited).

    Rows whose ``counted`` flag disagrees with their state without being dirty
    (only possible after a manual database edit) are marked dirty for the
    tally; counters are then set to the number of ``counted`` rows, which is
    what the tally's invariant says they hold.
    """
    repaired = {"rows": 0, "petitions": 0, "districts": 0}
    with job_lock(LOCK, ttl=3600) as got:
        if not got:
            return repaired
        try:
            _reconcile(repaired)
        except Exception:
            db.session.rollback()
            raise
    if any(repaired.values()):
        log.warning("petition reconciliation repaired %s", repaired)
    return repaired


def _reconcile(repaired: dict) -> None:
    _begin_exclusive()
    t = Signature.__table__
    should = sa.and_(t.c.state == SignatureState.VALIDATED.value, t.c.flagged.is_(False))
    repaired["rows"] = db.session.execute(t.update().where(
        t.c.dirty.is_(False), sa.or_(sa.and_(should, t.c.counted.is_(False)),
                                     sa.and_(sa.not_(should), t.c.counted.is_(True)))).values(dirty=True)).rowcount
    counted = sa.select(t.c.petition_id, sa.func.count().label("n"),
                        sa.func.sum(sa.case((t.c.source == SignatureSource.PAPER.value, 1), else_=0)).label("paper")
                        ).where(t.c.counted.is_(True)).group_by(t.c.petition_id)
    actual = {r.petition_id: (r.n, int(r.paper or 0)) for r in db.session.execute(counted)}
    fixed = []
    for p in db.session.scalars(sa.select(Petition)).all():
        n, paper = actual.get(p.id, (0, 0))
        if (p.signature_count, p.paper_count) != (n, paper):
            audit.record(None, "petition.tally_repaired", "petition", p.id, before=p.signature_count, after=n,
                         paper_before=p.paper_count, paper_after=paper)
            p.signature_count, p.paper_count, p.updated_at = n, paper, utcnow()
            repaired["petitions"] += 1
            fixed.append(p.id)
    per_district = sa.select(t.c.petition_id, t.c.district_id, sa.func.count().label("n")).where(
        t.c.counted.is_(True)).group_by(t.c.petition_id, t.c.district_id)
    actual_d = {(r.petition_id, r.district_id): r.n for r in db.session.execute(per_district)}
    stored = {(c.petition_id, c.district_id): c for c in db.session.scalars(sa.select(DistrictCount)).all()}
    for key in set(actual_d) | set(stored):
        n = actual_d.get(key, 0)
        row = stored.get(key)
        if row is None:
            db.session.add(DistrictCount(petition_id=key[0], district_id=key[1], count=n))
            repaired["districts"] += 1
        elif row.count != n:
            row.count = n
            repaired["districts"] += 1
    db.session.flush()
    check_thresholds_for(fixed)  # a repaired count may have crossed a threshold
    db.session.commit()


def metrics(now) -> list[tuple[str, str, float]]:
    """Figures for /metrics (civic.core.metrics): the tally's lag behind the
    signatures, and the signing rate."""
    from datetime import timedelta

    dirty, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Signature.created_at)).where(Signature.dirty)).one()
    last_minute = db.session.scalar(sa.select(sa.func.count()).select_from(Signature)
                                    .where(Signature.created_at >= now - timedelta(minutes=1)))
    return [
        ("civic_tally_pending_signatures", "Signature changes not yet folded into the petitions' totals.", dirty),
        ("civic_tally_lag_seconds", "Age of the oldest signature change the tally has not counted (0 when none).",
         (now - oldest).total_seconds() if oldest else 0),
        ("civic_signatures_per_minute", "Signatures made in the last minute.", last_minute),
    ]
