"""Results: computed by a job after closing, aggregated, k = 10 per district."""

import sqlalchemy as sa

from civic.consultations import jobs, services
from civic.consultations.models import AnonymousResponse, Consultation, FreeTextAnswer, Review
from civic.core.errors import InvalidTransition
from civic.core.time import utcnow
from civic.extensions import db
from tests.consultations import factories
from tests.consultations.factories import answer_many, close, form_for


def test_results_count_rank_and_spread_and_publish_districts_only_from_ten_answers(client, factory, official,
                                                                                   make_consultation, run_jobs):
    big, small = factory.district(code="T06", name="Saint-Cyprien"), factory.district(code="T17", name="Mirail")
    c = make_consultation()
    answer_many(c, big, 10, single=0, multiple=(0, 1), ranking=(0, 1), scale=5)
    answer_many(c, small, 9, single=1, multiple=(1,), ranking=(1, 2), scale=1)
    answer_many(c, None, 1, other="Médiathèque de quartier", ranking=(2,), scale=3)
    # Open: only participation is visible.
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "20 responses so far." in page and "Saint-Cyprien" in page
    assert client.get(f"/consultations/{c.id}/results").status_code == 404
    assert client.get(f"/api/v1/consultations/{c.id}/results").status_code == 404
    close(c, official)
    run_jobs()
    c = db.session.get(Consultation, c.id)
    r = c.results
    assert r["total"] == 20 and r["k"] == 10
    q = {x["kind"]: x for x in r["questions"]}
    single = q["single"]
    assert [(ch["count"], ch["percent"]) for ch in single["choices"]] == [(10, 50.0), (9, 45.0)]
    assert single["other"] == {"count": 1, "percent": 5.0}
    multiple = {ch["label"]: ch["count"] for ch in q["multiple"]["choices"]}
    assert multiple == {"Sunday": 11, "Evening": 19, "Lunch": 0}
    ranking = {row["label"]: row for row in q["ranking"]["ranking"]}
    # K = 2 places: first place 2 points, second 1.
    assert ranking["Books"]["borda"] == 10 * 2
    assert ranking["Quiet rooms"]["borda"] == 10 * 1 + 9 * 2
    assert ranking["Workshops"]["borda"] == 9 * 1 + 1 * 2
    assert ranking["Quiet rooms"]["average_rank"] == round((10 * 2 + 9 * 1) / 19, 2)
    assert [row["label"] for row in q["ranking"]["ranking"]] == ["Quiet rooms", "Books", "Workshops"]
    assert [s["count"] for s in q["scale"]["scale"]] == [9, 0, 1, 0, 10]
    assert q["scale"]["agree_percent"] == 50.0
    # k = 10: the district with 10 answers is published, the one with 9 is not.
    assert [g["code"] for g in single["by_district"]] == ["T06"]
    assert single["suppressed_districts"] == 1
    assert single["by_district"][0]["choices"][0]["count"] == 10
    html = client.get(f"/consultations/{c.id}/results").get_data(as_text=True)
    assert 'role="img"' in html and "<title" in html and "Borda" in html
    assert "Saint-Cyprien" in html and "Mirail" not in html
    assert "1 district with fewer than 10 answers is not shown." in html


def test_results_job_is_idempotent(make_consultation, factory, official, run_jobs):
    c = make_consultation()
    answer_many(c, None, 3)
    close(c, official)
    run_jobs()
    c = db.session.get(Consultation, c.id)
    first, at = c.results, c.results_computed_at
    ids = set(db.session.scalars(sa.select(AnonymousResponse.id)))
    assert jobs.publish_results(c.id) is False
    db.session.commit()
    assert c.results == first and c.results_computed_at == at
    assert set(db.session.scalars(sa.select(AnonymousResponse.id))) == ids


def test_periodic_job_closes_due_consultations_and_computes_results(make_consultation, factory, run_jobs):
    c = make_consultation()
    answer_many(c, None, 2)
    assert jobs.close_due(now=c.closes_at) == 1
    db.session.commit()
    run_jobs()
    c = db.session.get(Consultation, c.id)
    assert c.status.value == "closed" and c.results["total"] == 2
    assert jobs.close_due(now=utcnow()) == 0


def test_free_texts_are_published_only_after_a_moderator_review(client, login, factory, official, make_consultation,
                                                               run_jobs):
    c = make_consultation()
    person = factory.user()
    services.answer_consultation(person, c, form_for(c, text="Ouvrir à 8 h"))
    factories.answer(c, text="Appelez Mme Dupont au 06 12 34 56 78")
    moderator = factory.user(email="mod@example.org", roles=("moderator",))
    login(moderator)
    assert "Ouvrir à 8 h" not in client.get("/consultations/review").get_data(as_text=True)  # still open
    close(c, official)
    run_jobs()
    queue = client.get("/consultations/review").get_data(as_text=True)
    assert "Ouvrir à 8 h" in queue and "06 12 34 56 78" in queue
    texts = {t.text: t for t in db.session.scalars(sa.select(FreeTextAnswer))}
    client.post("/consultations/review", data={"text_id": str(texts["Ouvrir à 8 h"].id), "decision": "approve"})
    client.post("/consultations/review", data={"text_id": str(texts["Appelez Mme Dupont au 06 12 34 56 78"].id),
                                               "decision": "exclude"})
    db.session.expire_all()
    assert {t.review for t in db.session.scalars(sa.select(FreeTextAnswer))} == {Review.APPROVED, Review.EXCLUDED}
    q = next(x for x in c.questions if x.kind.value == "text")
    public = client.get(f"/consultations/{c.id}/results/{q.id}/texts").get_data(as_text=True)
    assert "Ouvrir à 8 h" in public and "06 12 34 56 78" not in public
    data = client.get(f"/api/v1/consultations/{c.id}/results").get_json()
    assert next(x for x in data["questions"] if x["kind"] == "text")["published_texts"] == ["Ouvrir à 8 h"]
    client.post("/account/logout")
    login(factory.user(email="nobody@example.org"))
    assert client.post("/consultations/review", data={"text_id": str(texts["Ouvrir à 8 h"].id),
                                                      "decision": "exclude"}).status_code == 403


def test_private_free_texts_are_never_published(client, factory, official, make_consultation, run_jobs):
    c = make_consultation(free_text_private=True)
    factories.answer(c, text="Secret")
    close(c, official)
    run_jobs()
    moderator = factory.user(roles=("moderator",))
    assert services.review_queue(moderator)[0] == []
    text = db.session.scalars(sa.select(FreeTextAnswer)).one()
    try:
        services.review_free_text(moderator, text.id, True)
        raise AssertionError("a private text was published")
    except InvalidTransition:
        db.session.rollback()
    assert "Secret" not in client.get(f"/consultations/{c.id}/results").get_data(as_text=True)
