"""Official responses, debate outcomes and creators' updates, mailed to the
signers who opted in: in batches, each signer at most once per news."""

import pytest
import sqlalchemy as sa

from civic.core.errors import PermissionDenied, RateLimited
from civic.core.models import OutboxMessage
from civic.extensions import db
from civic.petitions import jobs, services
from civic.petitions.models import PetitionNews


def test_official_publishes_the_response_and_opted_in_signers_get_it_once(client, login, factory, pf, mails,
                                                                         monkeypatch):
    monkeypatch.setattr(jobs, "NEWS_BATCH", 2)  # several batches, each its own job
    official = factory.user(roles=["official"])
    petition = pf.petition()
    pf.signatures(petition, 5, notify=True, prefix="yes")
    pf.signatures(petition, 2, notify=False, prefix="no")
    login(official)
    resp = client.post(f"/petitions/{petition.id}/respond", data={
        "decision": "partly", "summary": "Ouverture le dimanche matin à titre d'essai.",
        "body": "La piscine ouvrira **le dimanche** de 9 h à 13 h."})
    assert resp.status_code == 302
    received = [m for m in mails() if m.subject == "The official response to the petition you signed"]
    assert sorted(m.to for m in received) == sorted(
        db.session.scalars(sa.select(sa.text("email")).select_from(sa.text("petition_signature"))
                           .where(sa.text("notify"))).all())
    assert len(received) == 5 and all(m.to.startswith("yes") for m in received)
    assert received[0].headers.get("List-Unsubscribe")
    news = db.session.scalar(sa.select(PetitionNews))
    assert news.mailing_done_at is not None
    # The job restarts from scratch (watermark lost): nobody gets it twice.
    news.mailing_done_at, news.mailed_up_to = None, 0
    db.session.commit()
    jobs.mail_news(news.id)
    db.session.commit()
    assert len([m for m in mails() if m.subject.startswith("The official response")]) == 5
    html = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "<strong>le dimanche</strong>" in html and "Partly accepted" in html
    # One response per petition: a second one is a state conflict.
    resp = client.post(f"/petitions/{petition.id}/respond", data={
        "decision": "refused", "summary": "Non.", "body": "Non."})
    assert resp.status_code == 409


def test_only_officials_publish_responses(client, login, factory, pf):
    petition = pf.petition()
    login(factory.user())
    assert client.get(f"/petitions/{petition.id}/respond").status_code == 403
    with pytest.raises(PermissionDenied):
        services.publish_response(factory.user(), petition, summary="x", body="y", decision="refused")


def test_response_marks_the_owed_answer_as_answered(app, factory, pf):
    from datetime import timedelta

    from civic.core.time import utcnow
    from civic.petitions.kind import owed_answers

    official = factory.user(roles=["official"])
    petition = pf.petition(response_threshold_at=utcnow() - timedelta(days=3),
                           response_due_at=utcnow() + timedelta(days=27))
    services.publish_response(official, petition, summary="Oui.", body="Oui.", decision="accepted")
    db.session.commit()
    with app.test_request_context():
        [owed] = owed_answers()
    assert owed["answered_at"] is not None


def test_debate_outcome_is_published_with_date_and_link(client, login, factory, pf):
    petition = pf.petition()
    login(factory.user(roles=["official"]))
    resp = client.post(f"/petitions/{petition.id}/debate", data={
        "debate_date": "2026-03-12", "summary": "Le conseil municipal a débattu.",
        "url": "https://example.org/conseil"})
    assert resp.status_code == 302
    html = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "Le conseil municipal a débattu." in html and "https://example.org/conseil" in html


def test_creator_updates_are_rate_limited(factory, pf, mails):
    creator = factory.user()
    petition = pf.petition(creator=creator)
    pf.signatures(petition, 2, notify=True)
    services.post_update(creator, petition, title="Merci !", body="Nous avons rencontré la mairie.")
    db.session.commit()
    assert len([m for m in mails() if m.subject == "News from the petition you signed"]) == 2
    with pytest.raises(RateLimited):
        services.post_update(creator, petition, title="Encore", body="Encore des nouvelles.")
    with pytest.raises(PermissionDenied):
        services.post_update(factory.user(), petition, title="Pas moi", body="x")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2
