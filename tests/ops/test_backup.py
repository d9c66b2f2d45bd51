"""``flask civic backup`` and ``flask civic restore`` on PostgreSQL and SQLite.

A site with a petition, confirmed and pending signatures, its tally, mails
sent and mails still waiting is backed up, restored into a new database, and
a new app started on the copy shows the same public pages; the copy's outbox
and tally pick up where the original stopped (pending mails delivered once,
the counter equal to the confirmed signatures, nothing left to count).
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from civic import create_app
from civic.core.models import OutboxMessage
from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions.models import DistrictCount, Petition, Signature, SignatureState
from tests.conftest import TEST_DATABASE_URL, IsolatedClient, _config, _normalise_pg

PAGES = ["/petitions/", "/petitions/{id}", "/api/v1/petitions/{id}", "/api/v1/petitions/{id}/count"]
TITLE = "Rouvrir les bains-douches de la rue du Pont-Guilheméry"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL backups need TEST_DATABASE_URL"))])
def new_database(request, tmp_path):
    """A factory of empty databases of one kind; PostgreSQL ones are created
    beside the test database and dropped at the end."""
    created = []
    if request.param == "sqlite":
        yield lambda: f"sqlite:///{tmp_path / ('civic_' + uuid.uuid4().hex[:8] + '.db')}"
        return
    base = sa.engine.make_url(_normalise_pg(TEST_DATABASE_URL))
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def make():
        name = f"civic_bk_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _app(tmp_path: Path, url: str, name: str):
    cfg = _config(tmp_path / name, url)
    cfg.update(REDIS_URL=None, SHARED_CACHE=False, MAIL_DIR=str(tmp_path / name / "mail"))
    app = create_app(cfg)
    app.test_client_class = IsolatedClient
    return app


def _mails(app) -> list[str]:
    folder = Path(app.config["MAIL_DIR"])
    return sorted(p.read_text() for p in folder.glob("*.eml")) if folder.exists() else []


def _make_site(app) -> int:
    """A petition with 7 confirmed signatures (2 through the pages), 1 waiting
    for its confirmation, tallied; 3 mails sent and 2 still waiting."""
    from civic.petitions.tally import tally_signatures
    from tests.petitions import factories as pf

    db.create_all()
    petition = pf.petition(title=TITLE)
    pf.signatures(petition, 5)
    client = app.test_client()
    for who in ("lea", "hugo", "ines"):
        resp = client.post(f"/petitions/{petition.id}/sign", data={
            "name": who.title(), "email": f"{who}@example.org", "postcode": "31000", "attest": "y"})
        assert resp.status_code == 200, resp.text
    for text in _mails(app):
        if "lea@example.org" in text or "hugo@example.org" in text:
            link = re.search(r"http://civic\.test(/\S+/confirm)", text.replace("=\n", "")).group(1)
            assert client.post(link).status_code == 302
    for i in range(2):  # as if the worker had been down since a minute ago
        db.session.add(OutboxMessage(to_email=f"attente{i}@example.org", subject="Votre pétition",
                                     body_text="Bonjour", created_at=utcnow() - timedelta(minutes=1)))
    tally_signatures()
    db.session.commit()
    return petition.id


def _pages(app, pid: int) -> dict[str, str]:
    client = app.test_client()
    out = {}
    for page in PAGES:
        resp = client.get(page.format(id=pid))
        assert resp.status_code == 200, (page, resp.status_code)
        out[page] = resp.text
    return out


def _state(pid: int) -> dict:
    petition = db.session.get(Petition, pid)
    confirmed = db.session.scalar(sa.select(sa.func.count()).select_from(Signature).where(
        Signature.petition_id == pid, Signature.state == SignatureState.VALIDATED))
    districts = db.session.scalar(sa.select(sa.func.sum(DistrictCount.count)).where(DistrictCount.petition_id == pid))
    pending = db.session.scalars(sa.select(OutboxMessage.to_email).where(
        OutboxMessage.delivered_at.is_(None)).order_by(OutboxMessage.id)).all()
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.delivered_at.is_not(None)))
    return {"count": petition.signature_count, "confirmed": confirmed, "districts": districts,
            "pending_mails": pending, "sent_mails": sent}


def test_a_restored_backup_shows_the_same_site_and_resumes_its_outbox_and_tally(tmp_path, new_database):
    source_url, target_url = new_database(), new_database()
    source = _app(tmp_path, source_url, "source")
    with source.app_context():
        pid = _make_site(source)
        before = _pages(source, pid)
        state = _state(pid)
        db.session.remove()
        result = source.test_cli_runner().invoke(args=["civic", "backup", f"{tmp_path}/backups/"])
        db.engine.dispose()
    assert state == {"count": 7, "confirmed": 7, "districts": 7,
                     "pending_mails": ["attente0@example.org", "attente1@example.org"], "sent_mails": 3}
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Backup written: ")
    [backup] = list((tmp_path / "backups").iterdir())
    assert TITLE in before["/petitions/{id}"]

    result = source.test_cli_runner().invoke(args=["civic", "restore", str(backup), "--into", target_url])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output

    copy = _app(tmp_path, target_url, "copy")
    with copy.app_context():
        assert _pages(copy, pid) == before
        assert _state(pid) == state
        # The copy carries on: nothing left to count, the waiting mails go out once.
        from civic.core.outbox import sweep_outbox
        from civic.petitions.tally import tally_signatures

        assert tally_signatures() == 0
        assert sweep_outbox() == 2
        db.session.commit()
        assert sorted(re.search(r"^To: (\S+)", m, re.M).group(1) for m in _mails(copy)) == [
            "attente0@example.org", "attente1@example.org"]
        assert _state(pid)["pending_mails"] == [] and db.session.get(Petition, pid).signature_count == 7
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(tmp_path, new_database):
    source_url, target_url = new_database(), new_database()
    source = _app(tmp_path, source_url, "source")
    with source.app_context():
        pid = _make_site(source)
        db.session.remove()
        db.engine.dispose()
    runner = source.test_cli_runner()
    backup = tmp_path / "site.backup"
    assert runner.invoke(args=["civic", "backup", str(backup)]).exit_code == 0

    other = _app(tmp_path, target_url, "other")
    with other.app_context():
        from tests.petitions import factories as pf

        db.create_all()
        pf.petition(title="Une autre pétition, à garder")
        db.session.remove()
        db.engine.dispose()

    result = runner.invoke(args=["civic", "restore", str(backup), "--into", target_url])
    assert result.exit_code == 1
    assert "the target database is not empty" in result.output and "--force" in result.output
    with other.app_context():
        assert db.session.scalars(sa.select(Petition.title)).all() == ["Une autre pétition, à garder"]
        db.session.remove()
        db.engine.dispose()

    result = runner.invoke(args=["civic", "restore", str(backup), "--into", target_url, "--force"])
    assert result.exit_code == 0, result.output
    with other.app_context():
        assert db.session.scalars(sa.select(Petition.title)).all() == [TITLE]
        assert _state(pid)["count"] == 7
        db.session.remove()
        db.engine.dispose()


def test_backup_and_restore_fail_loudly(tmp_path, new_database):
    url = new_database()
    app = _app(tmp_path, url, "site")
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    runner = app.test_cli_runner()
    junk = tmp_path / "notes.txt"
    junk.write_text("pas une sauvegarde")
    result = runner.invoke(args=["civic", "restore", str(junk), "--into", new_database()])
    assert result.exit_code == 1 and "is not a Civic backup" in result.output

    good = tmp_path / "good.backup"
    assert runner.invoke(args=["civic", "backup", str(good)]).exit_code == 0
    result = runner.invoke(args=["civic", "backup", str(good)])
    assert result.exit_code == 1 and "already exists" in result.output

    other_kind = "postgresql://postgres@127.0.0.1:1/nowhere" if url.startswith("sqlite") else \
        f"sqlite:///{tmp_path / 'elsewhere.db'}"
    result = runner.invoke(args=["civic", "restore", str(good), "--into", other_kind])
    assert result.exit_code == 1 and "cannot be restored into a" in result.output

    unreachable = _app(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:1/nowhere" if not url.startswith("sqlite")
                       else f"sqlite:///{tmp_path / 'missing' / 'none.db'}", "down")
    result = unreachable.test_cli_runner().invoke(args=["civic", "backup", str(tmp_path / "never.backup")])
    assert result.exit_code == 1 and "backup failed" in result.output
    assert not (tmp_path / "never.backup").exists() and not list(tmp_path.glob("never.backup*"))


def test_backup_keeps_the_newest_ones_when_asked(tmp_path, new_database):
    app = _app(tmp_path, new_database(), "site")
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    folder = tmp_path / "backups"
    folder.mkdir()
    suffix = ".db" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else ".dump"
    for day in ("20260101", "20260102"):
        (folder / f"civic-{day}-030000{suffix}").write_bytes(b"old")
    (folder / "notes.txt").write_text("kept")
    result = app.test_cli_runner().invoke(args=["civic", "backup", str(folder), "--keep", "2"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 3 and "notes.txt" in names and f"civic-20260102-030000{suffix}" in names
    assert "deleted old backup" in result.output and "20260101" in result.output
