"""Requests to the council under CGCT art. L1112-16: the threshold from the
roll, only electors sign, one request per elector, authority and quarter,
paper sheets checked on the roll, the law's dated steps in public, and the
signers' list kept private."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from civic.accounts import roll
from civic.accounts.electors import identity_hash
from civic.accounts.models import OidcIdentity
from civic.core.errors import InvalidTransition
from civic.core.models import AuditEntry
from civic.core.time import local_day, utcnow
from civic.extensions import db
from civic.petitions import services
from civic.petitions.models import (
    AuthorityType,
    CouncilSession,
    LegalKind,
    LegalSignatureQuarter,
    Petition,
    Signature,
)
from civic.petitions.services import legal
from tests.helpers import count_rows, reload

TOULOUSE = "le conseil municipal de Toulouse"
ANNE = ("DUPONT-MARTIN", "Anne Marie", date(1980, 5, 17))


def _roll(factory, identities=(), filler=0, admin=None):
    """Put a roll in force with these (family, given, born) identities and ``filler`` other electors."""
    admin = admin or factory.user(roles=["admin"])
    hashes = [identity_hash(*i) for i in identities] + [f"{n:064x}" for n in range(1, filler + 1)]
    r = roll.replace_roll(admin, [(h, "12") for h in hashes], filename="liste.csv")
    db.session.commit()
    return r


def _elector(factory, identity=ANNE, **kw):
    """An account whose FranceConnect identity (spelt as the provider does) is vouched for."""
    user = factory.user(**kw)
    family, given, born = identity
    db.session.add(OidcIdentity(user_id=user.id, provider="franceconnect", subject_hash=f"{user.id:064x}",
                                identity_hash=identity_hash(family, given, born), identity_verified_at=utcnow()))
    db.session.commit()
    return user


def _legal(pf, authority=TOULOUSE, kind="II", threshold=3, **kw):
    return pf.petition(legal_kind=LegalKind(kind), authority=authority, authority_type=AuthorityType.COMMUNE,
                       threshold_from_roll=True, response_threshold=threshold, debate_threshold=None, **kw)


# --- the type, the threshold from the roll ---------------------------------------------------------

def test_a_resident_chooses_the_legal_type_on_the_form_which_shows_the_law(client, login, factory, setting):
    setting("legal_authority", TOULOUSE)
    login(factory.user())
    page = client.get("/petitions/new").get_data(as_text=True)
    assert "Request to the council (art. L1112-16), kind II" in page
    assert "un dixième des électeurs inscrits sur les listes électorales" in page
    data = {"title": "Gratuité des transports pour les moins de 26 ans",
            "background": "Les jeunes renoncent à se déplacer faute de moyens.", "topic": "other",
            "district_id": "", "decision_maker": "", "legal_kind": "II", "action": "create"}
    assert client.post("/petitions/new", data=data).status_code == 302
    p = db.session.scalar(sa.select(Petition))
    assert p.legal_kind == LegalKind.DELIBERATION and p.authority == TOULOUSE
    assert p.authority_type == AuthorityType.COMMUNE and p.decision_maker == TOULOUSE
    bad = client.post("/petitions/new", data={**data, "legal_kind": "III"})
    assert bad.status_code == 422


def test_threshold_is_a_tenth_of_the_roll_at_opening_frozen_when_the_roll_is_replaced(factory, pf, setting):
    admin, moderator = factory.user(roles=["admin"]), factory.user(roles=["moderator"])
    first = _roll(factory, filler=25, admin=admin)
    commune = _legal(pf, state="moderation", threshold=None)
    services.approve_petition(moderator, commune)
    db.session.commit()
    commune = reload(commune)
    assert (commune.response_threshold, commune.roll_id, commune.roll_elector_count) == (3, first.id, 25)
    assert commune.debate_threshold is None and commune.threshold_from_roll
    # Another authority (EPCI, département, région): one twentieth.
    other = _legal(pf, state="moderation", threshold=None, authority="le conseil de Toulouse Métropole")
    other.authority_type = AuthorityType.OTHER
    db.session.commit()
    services.approve_petition(moderator, other)
    db.session.commit()
    assert reload(other).response_threshold == 2  # ceil(25 / 20)
    _roll(factory, filler=100, admin=admin)
    commune = reload(commune)
    assert (commune.response_threshold, commune.roll_id) == (3, first.id)


def test_without_a_roll_a_legal_request_cannot_open(client, login, factory, pf):
    moderator = factory.user(roles=["moderator"])
    p = _legal(pf, state="moderation", threshold=None)
    login(moderator)
    assert "No electoral roll is imported yet" in client.get(f"/petitions/moderation/{p.id}").get_data(as_text=True)
    resp = client.post(f"/petitions/moderation/{p.id}", data={"decision": "approve"})
    assert resp.status_code == 409
    assert "no electoral roll is imported" in resp.get_data(as_text=True)
    assert reload(p).state.value == "moderation"


# --- only electors sign ---------------------------------------------------------------------------

def test_only_verified_electors_sign_others_are_told_how(client, login, factory, pf):
    _roll(factory, [ANNE], filler=20)
    p = _legal(pf)
    resp = client.post(f"/petitions/{p.id}/sign", data={"name": "X", "email": "x@example.org",
                                                        "postcode": "31000", "attest": "y"})
    assert resp.status_code == 403 and "FranceConnect" in resp.get_data(as_text=True)
    login(factory.user())
    resp = client.get(f"/petitions/{p.id}/sign")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 403
    assert "Sign in with FranceConnect" in page and "mediator" in page
    assert f"/petitions/{p.id}/paper-sheet.pdf" in page
    client.post("/account/logout")
    page = client.get(f"/petitions/{p.id}/sign").get_data(as_text=True)
    assert f"/account/login?next=/petitions/{p.id}/sign" in page and "Online: sign in with FranceConnect" in page
    assert count_rows(Signature) == 0


def test_an_elector_signs_and_the_page_says_the_quarter_rule_upfront(client, login, factory, pf, tally):
    _roll(factory, [ANNE], filler=20)
    p = _legal(pf)
    login(_elector(factory))
    page = client.get(f"/petitions/{p.id}/sign").get_data(as_text=True)
    assert "Each quarter, an elector may sign only one request to the same authority (here: le conseil municipal de Toulouse)" in page
    assert "un vingtième des électeurs inscrits" in page
    assert client.post(f"/petitions/{p.id}/sign", data={}).status_code == 302
    tally()
    assert reload(p).signature_count == 1
    row = db.session.scalar(sa.select(LegalSignatureQuarter))
    assert row.identity_hash == identity_hash(*ANNE) and row.quarter == legal.quarter_key()


# --- the quarter rule -------------------------------------------------------------------------------

def test_one_elector_through_two_accounts_signs_one_request_per_authority_and_quarter(client, login, factory, pf):
    _roll(factory, [ANNE], filler=20)
    first, second = _legal(pf, title="Gratuité des transports"), _legal(pf, title="Un parc à Bagatelle")
    login(_elector(factory))
    assert client.post(f"/petitions/{first.id}/sign", data={}).status_code == 302
    client.post("/account/logout")
    # The same person, with another account (another mailbox), same vouched identity.
    login(_elector(factory, identity=("Dupont Martin", "Anne-Marie", date(1980, 5, 17))))
    resp = client.get(f"/petitions/{second.id}/sign")
    assert resp.status_code == 409
    assert "This quarter you already signed « Gratuité des transports »" in resp.get_data(as_text=True)
    resp = client.post(f"/petitions/{second.id}/sign", data={})
    assert resp.status_code == 409
    # Nor the same request again through the other account.
    resp = client.post(f"/petitions/{first.id}/sign", data={})
    assert resp.status_code == 409
    assert count_rows(Signature) == 1 and count_rows(LegalSignatureQuarter) == 1


def test_next_quarter_and_another_authority_are_allowed(client, login, factory, pf):
    _roll(factory, [ANNE], filler=20)
    first, second = _legal(pf), _legal(pf)
    region = _legal(pf, authority="le conseil régional d’Occitanie")
    login(_elector(factory))
    assert client.post(f"/petitions/{first.id}/sign", data={}).status_code == 302
    assert client.post(f"/petitions/{region.id}/sign", data={}).status_code == 302   # another authority
    # That first signature was in an earlier quarter: this quarter is free again.
    db.session.execute(sa.update(LegalSignatureQuarter).where(LegalSignatureQuarter.petition_id == first.id)
                       .values(quarter="2020-Q1"))
    db.session.commit()
    assert client.post(f"/petitions/{second.id}/sign", data={}).status_code == 302
    assert count_rows(LegalSignatureQuarter) == 3


def test_quarter_key_is_the_quarter_in_the_city_time_zone():
    # 31 December 23:30 UTC is already 1 January in Paris.
    assert legal.quarter_key(datetime(2026, 12, 31, 23, 30)) == "2027-Q1"
    assert legal.quarter_key(datetime(2026, 9, 30, 21, 0)) == "2026-Q3"


def test_a_concurrent_signature_losing_the_race_gets_a_message_not_a_500(client, login, factory, pf, monkeypatch):
    _roll(factory, [ANNE], filler=20)
    first, second = _legal(pf, title="Première demande"), _legal(pf)
    user = _elector(factory)
    # The other request's row is committed by a concurrent transaction after this one checked.
    db.session.add(LegalSignatureQuarter(identity_hash=identity_hash(*ANNE), authority=TOULOUSE,
                                         quarter=legal.quarter_key(), petition_id=first.id))
    db.session.commit()
    real = legal.signed_this_quarter
    calls = []

    def blind_first(*a, **kw):
        calls.append(1)
        return None if len(calls) <= 2 else real(*a, **kw)  # the page's and the service's checks see nothing

    monkeypatch.setattr(legal, "signed_this_quarter", blind_first)
    login(user)
    resp = client.post(f"/petitions/{second.id}/sign", data={})
    assert resp.status_code == 409
    assert "« Première demande »" in resp.get_data(as_text=True)
    assert count_rows(Signature) == 0 and count_rows(LegalSignatureQuarter) == 1


def test_withdrawing_does_not_free_the_quarter(client, login, factory, pf):
    _roll(factory, [ANNE], filler=20)
    first, second = _legal(pf), _legal(pf)
    login(_elector(factory))
    client.post(f"/petitions/{first.id}/sign", data={})
    sig = db.session.scalar(sa.select(Signature))
    assert client.post(f"/petitions/mine/{sig.id}/withdraw").status_code == 302
    assert client.post(f"/petitions/{second.id}/sign", data={}).status_code == 409
    # Signing the same request again is allowed: it is the request signed this quarter.
    assert client.post(f"/petitions/{first.id}/sign", data={}).status_code == 302


# --- paper sheets ---------------------------------------------------------------------------------

def test_the_paper_sheet_is_a_pdf_with_the_request_and_the_columns(client, pf):
    p = _legal(pf, title="Gratuité des transports pour les jeunes")
    resp = client.get(f"/petitions/{p.id}/paper-sheet.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
    assert "Gratuité des transports pour les jeunes" in text
    for column in ("Name", "Given names", "Birth date", "Address", "Signature"):
        assert column in text
    assert "L1112-16" in text
    ordinary = pf.petition()
    assert client.get(f"/petitions/{ordinary.id}/paper-sheet.pdf").status_code == 404


def test_mediator_enters_paper_signatures_checked_on_the_roll(client, login, factory, pf, tally):
    _roll(factory, [ANNE], filler=20)
    p = _legal(pf)
    mediator = factory.user(roles=["mediator"])
    login(mediator)
    page = client.get(f"/petitions/{p.id}/paper").get_data(as_text=True)
    assert "Birth name" in page and "checked on the electoral roll" in page
    row = {"family_name": "Dupont Martin", "given_names": "Anne-Marie", "birthdate": "1980-05-17",
           "postcode": "31000", "signed_on": local_day(p.opened_at).isoformat(), "batch": "MAIRIE-01"}
    bad = client.post(f"/petitions/{p.id}/paper", data={**row, "birthdate": "1980-05-18"})
    assert bad.status_code == 422 and "Not found on the electoral roll" in bad.get_data(as_text=True)
    assert client.post(f"/petitions/{p.id}/paper", data=row).status_code == 302
    # The same elector again (another sheet): refused, and why.
    again = client.post(f"/petitions/{p.id}/paper", data={**row, "given_names": "Marie Anne"})
    assert again.status_code == 422
    tally()
    assert reload(p).paper_count == 1
    sig = db.session.scalar(sa.select(Signature))
    assert sig.name == "Anne-Marie Dupont Martin" and sig.recorded_by_id == mediator.id
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("petition.paper%"))).all()
    assert sorted(actions) == ["petition.paper_signature", "petition.paper_signature_refused",
                               "petition.paper_signature_refused"]


# --- the law's steps ------------------------------------------------------------------------------

def _session(day, title, authority=TOULOUSE):
    s = CouncilSession(held_on=day, title=title, authority=authority)
    db.session.add(s)
    db.session.commit()
    return s


def test_every_step_is_dated_on_the_request_page_and_the_accountability_page(client, login, factory, pf, tally):
    p = _legal(pf, threshold=2)
    pf.signatures(p, 2)
    official = factory.user(roles=["official"], locale="fr")
    tally()
    p = reload(p)
    assert p.response_threshold_at is not None and p.legal_transmitted_at is not None
    assert p.response_due_at is None
    p.legal_transmitted_at = utcnow() - timedelta(days=10)
    db.session.commit()
    today = local_day(utcnow())
    past = _session(today - timedelta(days=3), "Conseil municipal passé")
    due = _session(today + timedelta(days=20), "Conseil municipal de printemps")
    login(official)
    # Receipt acknowledged a week ago: the first session after it has passed without the council informed.
    received = today - timedelta(days=7)
    resp = client.post(f"/petitions/{p.id}/legal", data={"step": "ack", "ack-received_on": received.isoformat()})
    assert resp.status_code == 302
    page = client.get(f"/petitions/{p.id}").get_data(as_text=True)
    assert "Accusé de réception" in page and "En retard" in page
    acc = client.get("/accountability").get_data(as_text=True)
    assert p.title in acc and "Transmise au maire" in acc and "En retard" in acc
    # The council informed at that session, then its decision.
    resp = client.post(f"/petitions/{p.id}/legal", data={"step": "informed", "inf-session_id": str(past.id)})
    assert resp.status_code == 302
    resp = client.post(f"/petitions/{p.id}/legal", data={
        "step": "decision", "dec-decided_on": today.isoformat(), "dec-number": "DEL-2026-031",
        "dec-text": "Le conseil inscrit la **gratuité** à l'ordre du jour.<script>x</script>",
        "dec-url": "https://toulouse.example/deliberations/031"})
    assert resp.status_code == 302
    p = reload(p)
    assert p.legal_decided_at is not None and "<script>" not in p.legal_decision_html
    page = client.get(f"/petitions/{p.id}").get_data(as_text=True)
    for label in ("Seuil atteint", "Transmise au maire", "Accusé de réception", "Conseil informé",
                  "Décision du conseil", "DEL-2026-031", "Conseil municipal passé"):
        assert label in page
    assert "<strong>gratuité</strong>" in page and "<script>x" not in page
    [item] = [i for i in legal.owed_answers() if i["id"] == p.id]
    assert local_day(item["due_at"]) == past.held_on and item["answered_at"] == p.legal_decided_at
    assert due.id  # the later session is not the due one


def test_dates_in_french_use_the_ordinal_first(client, login, factory, pf):
    p = _legal(pf, threshold=1, response_threshold_at=datetime(2027, 3, 1, 9, 0),
               legal_transmitted_at=datetime(2027, 3, 1, 9, 0))
    login(factory.user(locale="fr"))
    assert "1er mars 2027" in client.get(f"/petitions/{p.id}").get_data(as_text=True)


def test_only_the_mayors_office_records_steps(client, login, factory, pf):
    p = _legal(pf, legal_transmitted_at=utcnow())
    login(factory.user(roles=["mediator"]))
    assert client.get(f"/petitions/{p.id}/legal").status_code == 403
    with pytest.raises(InvalidTransition):
        legal.record_informed(factory.user(roles=["official"]), p, session_id=None)


def test_admins_keep_the_council_calendar(client, login, factory):
    login(factory.user(roles=["official"]))
    assert client.get("/petitions/council-sessions").status_code == 403
    client.post("/account/logout")
    login(factory.user(roles=["admin"]))
    resp = client.post("/petitions/council-sessions", data={"held_on": "2027-03-12", "title": "Conseil du 12 mars"})
    assert resp.status_code == 302
    s = db.session.scalar(sa.select(CouncilSession))
    assert s.authority.startswith("le conseil municipal de") and s.held_on == date(2027, 3, 12)
    resp = client.post(f"/petitions/council-sessions/{s.id}", data={"held_on": "2027-03-19", "title": "Reporté"})
    assert resp.status_code == 302 and reload(s).held_on == date(2027, 3, 19)
    assert client.post("/petitions/council-sessions", data={"title": ""}).status_code == 422


# --- privacy --------------------------------------------------------------------------------------

def test_the_signers_list_is_for_the_mayors_office_only_and_audited(client, login, factory, pf):
    p = _legal(pf)
    pf.signatures(p, 1)
    pf.signatures(p, 1, source="paper")
    db.session.execute(sa.update(Signature).values(name="=HYPERLINK(\"x\")", validated_at=utcnow()))
    db.session.commit()
    assert "=HYPERLINK" not in client.get(f"/petitions/{p.id}").get_data(as_text=True)
    login(factory.user(roles=["moderator"]))
    assert client.get(f"/petitions/{p.id}/signers.csv").status_code == 403
    client.post("/account/logout")
    official = factory.user(roles=["official"])
    login(official)
    resp = client.get(f"/petitions/{p.id}/signers.csv")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.splitlines()[0].strip() == "name,signed_at,method"
    assert "'=HYPERLINK" in body and ",online" in body and ",paper" in body and "@" not in body
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "petition.signers_downloaded"))
    assert entry.actor_id == official.id


def test_retention_erases_the_quarter_rows_with_the_signers(factory, pf):
    from civic.petitions.jobs import anonymise_expired_signers

    _roll(factory, [ANNE], filler=20)
    old = _legal(pf, state="closed", closed_at=utcnow() - timedelta(days=400))
    current = _legal(pf)
    for p, quarter in ((old, "2025-Q2"), (current, legal.quarter_key())):
        db.session.add(LegalSignatureQuarter(identity_hash=f"{p.id:064x}", authority=TOULOUSE, quarter=quarter,
                                             petition_id=p.id))
    db.session.commit()
    anonymise_expired_signers()
    db.session.commit()
    assert db.session.scalars(sa.select(LegalSignatureQuarter.petition_id)).all() == [current.id]


def test_two_concurrent_signatures_of_one_elector_one_passes_on_postgresql(app, factory, pf, monkeypatch):
    """Two accounts of one elector sign two requests to the same authority at
    the same moment: both pass the check, the unique constraint lets one
    insert through, the other is told which request was signed."""
    import threading

    from civic.accounts.models import User

    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent transactions are PostgreSQL's (SQLite serialises writers)")
    _roll(factory, [ANNE], filler=20)
    first, second = _legal(pf, title="Première demande"), _legal(pf, title="Seconde demande")
    one, two = _elector(factory), _elector(factory, identity=("Dupont Martin", "Anne-Marie", date(1980, 5, 17)))
    pairs = [(one.id, first.id), (two.id, second.id)]
    real, both_checked, seen = legal.signed_this_quarter, threading.Barrier(2, timeout=20), threading.local()

    def race(*a, **kw):
        found = real(*a, **kw)
        if not getattr(seen, "done", False):  # the first check of each thread: wait for the other's
            seen.done = True
            both_checked.wait()
        return found

    monkeypatch.setattr(legal, "signed_this_quarter", race)
    results = {}

    def sign(user_id, petition_id):
        with app.app_context():
            try:
                services.sign_as_user(db.session.get(User, user_id), petition_id)
                db.session.commit()
                results[petition_id] = "signed"
            except InvalidTransition as err:
                db.session.rollback()
                results[petition_id] = err.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == sorted([first.id, second.id])
    assert sorted(v == "signed" for v in results.values()) == [False, True]
    [refusal] = [v for v in results.values() if v != "signed"]
    assert "This quarter you already signed «" in refusal
    db.session.expire_all()
    assert count_rows(LegalSignatureQuarter) == 1 and count_rows(Signature) == 1
