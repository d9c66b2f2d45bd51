"""Notifications: fan one event out to 100,000 followers.

Usage (from the repository root)::

    .venv/bin/python bench/bench_fanout.py                       # SQLite, 100,000 followers
    .venv/bin/python bench/bench_fanout.py --followers 20000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/civic_bench_fanout .venv/bin/python bench/bench_fanout.py

SQLite runs in a temporary file; with ``DATABASE_URL`` set, the same runs on
that database too, which is WIPED (its tables dropped and created again).

Two scales per database, in the same run: the full one and a tenth of it
(the reference). For each, ``--followers`` people follow one item, 1 % of
them with immediate mail for official answers (their mails are queued in the
outbox, not sent); then, in the job's own code path
(``civic.notifications.jobs.fanout``):

1. ``seconds``: the fan-out of one event (an official answer), timed;
2. ``peak_mb``: the fan-out of a second event under ``tracemalloc``: the
   peak Python memory it allocated. Flat memory means ``peak_ratio``
   (full / tenth) stays near 1 while the audience grows tenfold, since the
   job goes through the followers in keyset batches of 1,000;
3. ``rerun_created``: the first event fanned out again as if its job had
   died before marking it done: it must create 0 notifications, and
   ``exactly_once`` checks one notification per follower and event and one
   outbox row per immediate-mail follower.

Last line, one JSON object::

    {"followers": …, "sqlite": {"seconds": …, "peak_mb": …, "rerun_created": 0, "exactly_once": true,
     "per_1000_ms": …, "tenth": {…}, "time_ratio": …, "peak_ratio": …}, "postgresql": {…}}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _load(app, followers: int, immediate_share: float):
    """People, their follows of one item and a few immediate-mail
    preferences, inserted in bulk; returns the item's id."""
    import sqlalchemy as sa

    from civic.accounts.models import District, User
    from civic.core.follows import Follow
    from civic.extensions import db
    from civic.notifications.models import NotificationPreference

    item = District(code="BENCH", name="Place du Capitole: des bancs à l’ombre")
    db.session.add(item)
    db.session.commit()
    step = max(1, round(1 / immediate_share)) if immediate_share else 0
    chunk = 5000
    for start in range(0, followers, chunk):
        rows = [{"email": f"p{n}@bench.invalid", "display_name": f"Personne {n}", "locale": "fr" if n % 2 else "en"}
                for n in range(start, min(followers, start + chunk))]
        ids = db.session.execute(sa.insert(User).returning(User.id), rows).scalars().all()
        db.session.execute(sa.insert(Follow), [{"user_id": uid, "kind": "thing", "object_id": item.id}
                                               for uid in ids])
        if step:
            db.session.execute(sa.insert(NotificationPreference), [
                {"user_id": uid, "family": "answers", "channel": "mail", "frequency": "immediately"}
                for i, uid in enumerate(ids, start) if i % step == 0])
        db.session.commit()
    return item.id


def run_scale(database: str, followers: int, immediate_share: float) -> dict:
    import sqlalchemy as sa

    from civic import create_app
    from civic.core import content, events, outbox
    from civic.core.models import OutboxMessage
    from civic.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": None, "MAIL_URL": None,
                      "TESTING": False, "SECRET_KEY": "bench", "BASE_URL": "http://civic.bench"})
    with app.app_context():
        from civic.accounts.models import District
        from civic.notifications import jobs
        from civic.notifications.models import Notification

        db.drop_all()
        db.create_all()
        # A followable kind that declares an official answer, on the districts table (no bench schema).
        content.register_kind(content.ContentKind(
            name="thing", model=District, label=lambda: "Thing", title=lambda d: d.name,
            url=lambda d: f"/things/{d.id}", district_id=lambda d: None,
            hooks={"followable": True, "events": {"answered": "answers"}}))
        events._LISTENERS.clear()  # the fan-out is run and timed here, not inline after commit
        # Immediate mails stay queued in the outbox (a worker delivers them later): what is timed is the
        # fan-out, not SMTP delivery.
        outbox.enqueue_batched = lambda fn, item: None
        t0 = time.perf_counter()
        item_id = _load(app, followers, immediate_share)
        load_s = time.perf_counter() - t0

        first = events.emit("thing", item_id, "answered").id
        db.session.commit()
        t0 = time.perf_counter()
        made = jobs.fanout(first)
        seconds = time.perf_counter() - t0

        second = events.emit("thing", item_id, "answered").id
        db.session.commit()
        db.session.expunge_all()
        tracemalloc.start()
        jobs.fanout(second)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        db.session.execute(sa.update(events.Event).where(events.Event.id == first).values(fanned_out_at=None))
        db.session.commit()
        rerun_created = jobs.fanout(first)

        per_event = dict(db.session.execute(sa.select(Notification.event_id, sa.func.count())
                                            .group_by(Notification.event_id)).all())
        duplicates = db.session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(Notification.event_id, Notification.user_id).group_by(Notification.event_id,
                                                                             Notification.user_id)
            .having(sa.func.count() > 1).subquery()))
        outbox = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
        step = max(1, round(1 / immediate_share)) if immediate_share else 0
        immediate = len(range(0, followers, step)) if step else 0
        exactly_once = (made == followers and per_event == {first: followers, second: followers}
                        and duplicates == 0 and rerun_created == 0 and outbox == 2 * immediate)
        db.session.remove()
        db.drop_all()
    return {"followers": followers, "load_s": round(load_s, 2), "seconds": round(seconds, 3),
            "per_1000_ms": round(seconds * 1000 / followers * 1000, 2), "peak_mb": round(peak / 2 ** 20, 2),
            "rerun_created": rerun_created, "immediate_mails": 2 * immediate, "exactly_once": exactly_once}


def run_database(database: str, followers: int, immediate_share: float) -> dict:
    full = run_scale(database, followers, immediate_share)
    tenth = run_scale(database, max(1, followers // 10), immediate_share)
    full["tenth"] = tenth
    full["time_ratio"] = round(full["seconds"] / max(tenth["seconds"], 1e-6), 2)
    full["peak_ratio"] = round(full["peak_mb"] / max(tenth["peak_mb"], 1e-6), 2)
    return full


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--immediate-share", type=float, default=0.01)
    parser.add_argument("--no-sqlite", action="store_true", help="only the DATABASE_URL database")
    args = parser.parse_args()
    result = {"followers": args.followers}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            result["sqlite"] = run_database(f"sqlite:///{Path(tmp) / 'fanout.db'}", args.followers,
                                            args.immediate_share)
            print(json.dumps({"sqlite": result["sqlite"]}), file=sys.stderr)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        # The driver installed is psycopg 3.
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        result["postgresql"] = run_database(url, args.followers, args.immediate_share)
    print(json.dumps(result))
    ok = all(r["exactly_once"] and r["tenth"]["exactly_once"] for k, r in result.items() if isinstance(r, dict))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
