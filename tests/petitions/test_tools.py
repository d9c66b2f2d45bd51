"""Moderators' tools (invalidation, hourly volume report), retention,
privacy, the registry hooks and the demo data."""

import re
from datetime import timedelta

import sqlalchemy as sa

from civic.core import content
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions import jobs, services
from civic.petitions.jobs import traffic_report
from civic.petitions.models import DistrictCount, InvalidationRun, PetitionState, Signature, SignatureState
from tests.helpers import reload


def _set(ids, **values):
    db.session.execute(sa.update(Signature).where(Signature.id.in_(ids)).values(**values))
    db.session.commit()


def test_invalidation_previews_then_runs_as_a_job_and_corrects_counts(client, login, factory, pf, tally, run_jobs):
    moderator = factory.user(roles=["moderator"])
    petition = pf.petition()
    good = pf.signatures(petition, 3)
    bots = pf.signatures(petition, 4, prefix="bot")
    _set(bots, ip="203.0.113.9", email_domain="bots.example")
    _set(bots[:2], ip="203.0.113.200")
    tally()
    assert reload(petition).signature_count == 7
    login(moderator)
    data = {"petition_id": petition.id, "cidr": "203.0.113.0/24", "reason": "Robot depuis un seul réseau"}
    resp = client.post("/petitions/moderation/invalidate", data={**data, "action": "preview"})
    html = resp.get_data(as_text=True)
    assert "4 signatures match" in html
    assert reload(petition).signature_count == 7  # a preview changes nothing
    resp = client.post("/petitions/moderation/invalidate", data={**data, "action": "run"})
    assert resp.status_code == 302
    run_jobs()
    tally()
    assert reload(petition).signature_count == 3
    states = dict(db.session.execute(sa.select(Signature.id, Signature.state)).all())
    assert all(states[i] == SignatureState.INVALIDATED for i in bots)
    assert all(states[i] == SignatureState.VALIDATED for i in good)
    run = db.session.scalar(sa.select(InvalidationRun))
    assert run.done_at is not None and run.invalidated == 4
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "petition.invalidation_started"))


def test_invalidation_by_email_pattern_and_domain(factory, pf):
    moderator = factory.user(roles=["moderator"])
    petition = pf.petition()
    pf.signatures(petition, 2, prefix="bot")
    pf.signatures(petition, 2, prefix="human")
    crit = services.parse_criteria(petition.id, email_pattern="bot*@example.org")
    assert services.preview_invalidation(moderator, crit)["count"] == 2
    crit = services.parse_criteria(domain="example.org")
    assert services.preview_invalidation(moderator, crit)["count"] == 4


def test_invalidation_needs_a_criterion_and_a_moderator(client, login, factory):
    login(factory.user(roles=["moderator"]))
    resp = client.post("/petitions/moderation/invalidate", data={"action": "preview"})
    assert resp.status_code == 422
    client.post("/account/logout")
    login(factory.user())
    assert client.get("/petitions/moderation/invalidate").status_code == 403


def test_hourly_report_lists_unusual_volume_and_mails_moderators_once(factory, pf, mails, setting):
    setting("report_volume", 3)
    factory.user(email="mod@example.org", roles=["moderator"])
    petition = pf.petition()
    hour_ago = utcnow().replace(minute=10) - timedelta(hours=1)
    ids = pf.signatures(petition, 4)
    _set(ids, ip="198.51.100.7", created_at=hour_ago)
    found = traffic_report()
    db.session.commit()
    assert {(r.key_type, r.key, r.count) for r in found} == {("ip", "198.51.100.7", 4), ("domain", "example.org", 4)}
    assert traffic_report() == []  # the same hour is not reported twice
    db.session.commit()
    assert [m.subject for m in mails("mod@example.org")] == ["Petitions: unusual signing volume"]


def test_an_exempt_network_is_still_reported_but_marked_as_exempt(client, login, factory, pf, mails, setting):
    setting("report_volume", 3)
    setting("exempt_networks", "198.51.100.0/24")
    moderator = factory.user(email="mod@example.org", roles=["moderator"])
    petition = pf.petition()
    hour_ago = utcnow().replace(minute=10) - timedelta(hours=1)
    _set(pf.signatures(petition, 4), ip="198.51.100.7", created_at=hour_ago)  # the town hall
    _set(pf.signatures(petition, 3), ip="203.0.113.9", created_at=hour_ago)
    traffic_report()
    db.session.commit()
    body = mails("mod@example.org")[0].body
    assert "198.51.100.7 — 4 (exempt network" in body
    assert "203.0.113.9 — 3\n" in body
    login(moderator)
    page = client.get("/petitions/moderation/traffic").get_data(as_text=True)
    assert page.count("(exempt network)") == 1
    assert re.search(r"198\.51\.100\.7 <strong>\(exempt network\)</strong>", page)


def test_signers_are_anonymised_after_retention_and_district_counts_survive(factory, pf, tally, setting):
    setting("retention_days", 30)
    d = factory.district()
    old = pf.petition("closed", closed_at=utcnow() - timedelta(days=31))
    recent = pf.petition("closed", closed_at=utcnow() - timedelta(days=5))
    pf.signatures(old, 3, district=d)
    pf.signatures(recent, 2, district=d)
    tally()
    jobs.anonymise_expired_signers()
    db.session.commit()
    rows = db.session.scalars(sa.select(Signature).where(Signature.petition_id == old.id)).all()
    assert all(r.name is None and r.email is None and r.ip is None and r.anonymised for r in rows)
    assert all(r.email for r in db.session.scalars(sa.select(Signature).where(Signature.petition_id == recent.id)))
    assert reload(old).signature_count == 3 and reload(old).signers_anonymised_at is not None
    assert db.session.scalar(sa.select(DistrictCount.count).where(DistrictCount.petition_id == old.id)) == 3
    from civic.petitions.tally import reconcile_counts

    assert reconcile_counts()["petitions"] == 0  # totals still match the (anonymous) rows


def test_my_data_lists_my_signatures_and_deleting_my_account_erases_them(client, login, factory, pf, tally):
    user = factory.user(email="me@example.org")
    petition = pf.petition(title="Rouvrir la piscine")
    login(user)
    client.post(f"/petitions/{petition.id}/sign", data={"notify": "y"})
    data = client.get("/account/my-data.json").get_json()
    assert data["petitions"]["signatures"][0]["petition"] == "Rouvrir la piscine"
    tally()
    from tests.factories import PASSWORD

    assert client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    sig = db.session.scalar(sa.select(Signature))
    assert sig.email is None and sig.name is None and sig.state == SignatureState.VALIDATED
    assert reload(petition).signature_count == 1


def test_registry_hooks_for_moderation_comments_and_follows(pf, app):
    kind = content.get_kind("petition")
    open_p, closed_p = pf.petition(), pf.petition("closed")
    assert kind.hooks["comments"] == {"alignment": False} and kind.hooks["followable"] is True
    assert kind.hooks["comments_open"](open_p) is True and kind.hooks["comments_open"](closed_p) is False
    assert open_p.title in kind.hooks["excerpt"](open_p)
    kind.hooks["set_hidden"](open_p, True)
    db.session.commit()
    assert reload(open_p).state == PetitionState.REMOVED
    assert not kind.can_view(None, reload(open_p))
    kind.hooks["set_hidden"](reload(open_p), False)
    db.session.commit()
    assert reload(open_p).state == PetitionState.OPEN
    pending = pf.petition("moderation")
    kind.hooks["set_hidden"](pending, True)
    db.session.commit()
    assert reload(pending).state == PetitionState.HIDDEN


def test_demo_has_petitions_in_every_state_and_one_answered(app):
    from civic.accounts.cli import load_accounts
    from civic.petitions.demo import load_petitions
    from civic.petitions.models import NewsKind, Petition, PetitionNews
    from civic.petitions.tally import reconcile_counts

    ctx = {}
    load_accounts(ctx)
    load_petitions(ctx)
    db.session.commit()
    states = set(db.session.scalars(sa.select(Petition.state)).all())
    assert states == set(PetitionState)
    answered = db.session.scalar(sa.select(Petition).join(PetitionNews).where(PetitionNews.kind == NewsKind.RESPONSE))
    assert answered.signature_count >= answered.response_threshold and answered.response_threshold_at
    assert reconcile_counts() == {"rows": 0, "petitions": 0, "districts": 0}


def test_the_traffic_report_shows_a_district_moderator_only_their_districts(client, login, factory, pf, setting):
    setting("report_volume", 3)
    mine, other = factory.district(name="Minimes"), factory.district(name="Bonnefoy")
    local = factory.user(email="local@example.org", roles=[("moderator", mine)])
    citywide_mod = factory.user(email="city@example.org", roles=["moderator"])
    hour_ago = utcnow().replace(minute=10) - timedelta(hours=1)
    for district, title, ip in ((mine, "Des bancs aux Minimes", "198.51.100.1"),
                                (other, "Un square à Bonnefoy", "198.51.100.2"),
                                (None, "Un tram pour toute la ville", "198.51.100.3")):
        _set(pf.signatures(pf.petition(district=district, title=title), 3), ip=ip, created_at=hour_ago)
    traffic_report()
    db.session.commit()
    assert [r.petition.title for r in services.traffic_reports(local)] == ["Des bancs aux Minimes"] * 2

    login(local)
    resp = client.get("/petitions/moderation/traffic")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Des bancs aux Minimes" in page and "198.51.100.1" in page
    assert "Un square à Bonnefoy" not in page and "198.51.100.2" not in page
    assert "Un tram pour toute la ville" not in page and "198.51.100.3" not in page

    client.post("/account/logout")
    login(citywide_mod)
    page = client.get("/petitions/moderation/traffic").get_data(as_text=True)
    for title, ip in (("Des bancs aux Minimes", "198.51.100.1"), ("Un square à Bonnefoy", "198.51.100.2"),
                      ("Un tram pour toute la ville", "198.51.100.3")):
        assert title in page and ip in page
