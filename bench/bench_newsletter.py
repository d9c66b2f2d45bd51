"""A newsletter to 100,000 consenting residents, queued and delivered into an
SMTP sink on loopback, exactly once, with flat memory.

Usage (from the repository root)::

    .venv/bin/python bench/bench_newsletter.py                 # 100,000 residents, SQLite
    .venv/bin/python bench/bench_newsletter.py --residents 20000
    DATABASE_URL=postgresql://postgres@127.0.0.1/civic_bench .venv/bin/python bench/bench_newsletter.py

What runs is what production runs: ``newsletters.sending.run_sender`` (the
periodic sender, with ``newsletters.per_minute`` raised to the audience so
one run queues it all) and the outbox's ``deliver_messages`` job after each
chunk's commit (inline jobs: this process is the worker). The sink is an
aiosmtpd server in a child process, counting messages per recipient.

Figures: ``civic_s`` (queue + deliver the whole letter), ``reference_s`` (the
same number of messages of the same size sent by plain ``smtplib`` over one
connection to the same sink: the floor of any sender), their ``ratio``;
``peak_mb`` of the sending (tracemalloc) for the whole audience and
``peak_mb_fifth`` for a fifth of it (a district's letter): flat memory means
about the same; ``delivered``, ``duplicates`` and ``missing`` per recipient.

The last line is one JSON object; exit status 0 only if every resident got
exactly one mail and the peak for the whole audience stays under twice the
peak for a fifth of it.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the sink (child process) --------------------------------------------------

def run_sink(port: int, out: str) -> None:
    import collections
    import signal

    from aiosmtpd.controller import Controller

    counts: collections.Counter = collections.Counter()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            for rcpt in envelope.rcpt_tos:
                counts[rcpt.lower()] += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()

    def dump(*_a):
        Path(out).write_text(json.dumps(counts))
        counts.clear()

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGTERM, lambda *_a: (controller.stop(), sys.exit(0)))
    while True:
        signal.pause()


class Sink:
    def __init__(self, tmp: Path):
        self.port, self.out = free_port(), tmp / "sink.json"
        self.proc = subprocess.Popen([sys.executable, __file__, "--sink", str(self.port), str(self.out)])
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the SMTP sink did not start")

    def take(self) -> dict:
        """The counts per recipient since the last take."""
        import signal

        self.out.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(100):
            if self.out.exists() and self.out.stat().st_size:
                time.sleep(0.05)
                return json.loads(self.out.read_text())
            time.sleep(0.05)
        raise SystemExit("the SMTP sink did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --- the platform side -----------------------------------------------------------

def seed(db, n: int, district_ids: list[int]) -> list[str]:
    import sqlalchemy as sa

    from civic.accounts.models import User
    from civic.core.consents import Consent
    from civic.core.time import utcnow

    now = utcnow()
    emails = [f"resident{i:06d}@bench.example" for i in range(n)]
    for start in range(0, n, 5000):
        rows = [{"email": e, "display_name": f"R{start + j}", "locale": "fr" if j % 3 else "en", "created_at": now,
                 "email_confirmed_at": now, "district_id": district_ids[(start + j) % len(district_ids)]}
                for j, e in enumerate(emails[start:start + 5000])]
        db.session.execute(sa.insert(User), rows)
    db.session.flush()
    ids = db.session.scalars(sa.select(User.id).where(User.email.like("%@bench.example"))).all()
    for start in range(0, len(ids), 5000):
        db.session.execute(sa.insert(Consent), [
            {"user_id": uid, "key": "newsletter", "wording": "Je souhaite recevoir la lettre d’information",
             "locale": "fr", "given_at": now} for uid in ids[start:start + 5000]])
    db.session.commit()
    return emails


def send(letter_id: int) -> tuple[float, float]:
    """Schedule and send a letter; returns (seconds, peak MB of the sending)."""
    from civic.extensions import db
    from civic.newsletters import sending
    from civic.newsletters.models import Newsletter

    letter = db.session.get(Newsletter, letter_id)
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    sending.run_sender()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    db.session.expire_all()
    assert db.session.get(Newsletter, letter.id).status == "sent"
    return seconds, peak


def reference(port: int, n: int, size: int) -> float:
    """Plain smtplib: ``n`` messages of ``size`` bytes on one connection."""
    from email.message import EmailMessage

    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(n):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "civic@bench.example", f"ref{i:06d}@ref.example", "Lettre"
            msg.set_content("x" * size)
            smtp.send_message(msg)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--sink", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        run_sink(int(args.sink[0]), args.sink[1])
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="civic-bench-newsletter-"))
    sink = Sink(tmp)
    try:
        return run(args, tmp, sink)
    finally:
        sink.stop()


def run(args, tmp: Path, sink: Sink) -> int:
    import logging

    from flask_migrate import upgrade

    from civic import create_app
    from civic.accounts.models import District, Role, User, UserRole
    from civic.core.settings import store_setting
    from civic.extensions import db
    from civic.newsletters import services

    logging.disable(logging.INFO)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "OPENDATA_DIR": str(tmp / "opendata"),
                      "MAIL_URL": f"smtp://127.0.0.1:{sink.port}", "BASE_URL": "https://participer.example",
                      "SECRET_KEY": "bench", "TESTING": False})
    n = args.residents
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        districts = []
        for i in range(5):
            d = District(name=f"Quartier {i}", code=f"B{i}")
            db.session.add(d)
            districts.append(d)
        admin = User(email="admin@bench.example.org", display_name="Admin", locale="fr")
        db.session.add(admin)
        db.session.flush()
        db.session.add(UserRole(user_id=admin.id, role=Role.ADMIN))
        db.session.commit()
        t0 = time.perf_counter()
        emails = seed(db, n, [d.id for d in districts])
        seed_s = time.perf_counter() - t0
        store_setting("newsletters.per_minute", n + 1)  # one run: the audience and the empty chunk that ends it
        db.session.commit()
        body = ("Bonjour,\n\nLe vote du budget participatif est ouvert jusqu’au 15 janvier. "
                "Tous les projets : https://participer.example/budgets/1\n\n") * 6
        admin = db.session.get(User, admin.id)

        # A fifth of the audience (one district), then everyone: the peaks should match.
        fifth = services.create_newsletter(admin, "Quartier 0 : réunion publique", body, districts[0].id)
        services.schedule(admin, fifth, None)
        db.session.commit()
        fifth_s, peak_fifth = send(fifth.id)
        counts_fifth = sink.take()
        whole = services.create_newsletter(admin, "La participation ce mois-ci", body, None)
        services.schedule(admin, whole, None)
        db.session.commit()
        civic_s, peak = send(whole.id)
        counts = sink.take()
        size = len(body) + 600  # the footer and headers
    ref_s = reference(sink.port, n, size)
    sink.take()
    duplicates = sum(1 for e in emails if counts.get(e, 0) > 1)
    missing = sum(1 for e in emails if counts.get(e, 0) == 0)
    expected_fifth = len(emails[0::5])
    ok = (duplicates == 0 and missing == 0 and sum(counts.values()) == n
          and sum(counts_fifth.values()) == expected_fifth and peak < 2 * max(peak_fifth, 1.0))
    print(json.dumps({
        "bench": "newsletter", "database": url.split(":")[0], "residents": n, "seed_s": round(seed_s, 1),
        "civic_s": round(civic_s, 1), "mails_per_s": round(n / civic_s), "reference_s": round(ref_s, 1),
        "ratio": round(civic_s / ref_s, 2), "fifth_s": round(fifth_s, 1), "peak_mb": round(peak, 1),
        "peak_mb_fifth": round(peak_fifth, 1), "delivered": sum(counts.values()), "duplicates": duplicates,
        "missing": missing, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
