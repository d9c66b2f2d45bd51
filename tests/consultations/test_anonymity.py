"""The answers cannot be joined back to the people who gave them."""

import sqlalchemy as sa

from civic.consultations import services
from civic.consultations.models import AnonymousResponse, ConsultationParticipation, FreeTextAnswer
from civic.core.models import AuditEntry, OutboxMessage
from civic.extensions import db
from tests.consultations.factories import close, form_for


def test_answer_tables_have_no_column_or_key_leading_to_people_or_participations(app):
    participation_names = {"user_id", "participation_id", "paper_reference", "answered_on", "created_at",
                           "updated_at", "answered_at", "recorded_by_id"}
    for model in (AnonymousResponse, FreeTextAnswer):
        table = model.__table__
        names = {c.name for c in table.columns}
        assert not names & participation_names, (table.name, names & participation_names)
        targets = {fk.column.table.name for fk in table.foreign_keys}
        assert targets <= {"consultation", "consultation_question", "district", "consultation_response"}, targets
        # No timestamp of any precision.
        assert not [c for c in table.columns if isinstance(c.type, (sa.DateTime, sa.Date))]
        # Random ids: nothing sequential to line up with participations.
        assert isinstance(table.c.id.type, sa.Uuid)
    # And the database holds no such link either (not only the ORM).
    inspector = sa.inspect(db.engine)
    for table in ("consultation_response", "consultation_free_text"):
        columns = {c["name"] for c in inspector.get_columns(table)}
        assert "user_id" not in columns and "participation_id" not in columns
        assert all(fk["referred_table"] != "user" and fk["referred_table"] != "consultation_participation"
                   for fk in inspector.get_foreign_keys(table))


def test_storage_order_of_answers_does_not_follow_the_order_of_participation(make_consultation, factory, official,
                                                                            run_jobs):
    c = make_consultation()
    people = [factory.user() for _ in range(30)]
    for i, person in enumerate(people):
        services.answer_consultation(person, c, form_for(c, scale=1 + i % 5))
    db.session.commit()
    participation_order = [p.id for p in db.session.scalars(sa.select(ConsultationParticipation)
                                                              .order_by(ConsultationParticipation.id))]
    assert participation_order == sorted(participation_order)
    # The natural order of the table (its primary key) is the random id order.
    by_id = [r.answers for r in db.session.scalars(sa.select(AnonymousResponse).order_by(AnonymousResponse.id))]
    scale_q = str(next(q.id for q in c.questions if q.kind.value == "scale"))
    values = [a[scale_q]["value"] for a in by_id]
    assert values != [1 + i % 5 for i in range(30)]
    if db.engine.dialect.name == "sqlite":
        # WITHOUT ROWID: no hidden insertion counter.
        try:
            db.session.execute(sa.text("SELECT rowid FROM consultation_response")).all()
            raise AssertionError("consultation_response has a rowid")
        except sa.exc.OperationalError:
            db.session.rollback()
    before = {r.id for r in db.session.scalars(sa.select(AnonymousResponse))}
    close(c, official)
    run_jobs()
    after = db.session.scalars(sa.select(AnonymousResponse)).all()
    # Closing rewrites every answer under a new id and drops the edit codes.
    assert len(after) == 30 and not before & {r.id for r in after}
    assert all(r.edit_token_hash is None for r in after)


def test_audit_log_and_mails_never_point_at_an_answer(make_consultation, factory):
    c = make_consultation()
    person = factory.user(email="me@example.org")
    code = services.answer_consultation(person, c, form_for(c, text="Ma réponse très personnelle"))
    db.session.commit()
    response = db.session.scalars(sa.select(AnonymousResponse)).one()
    for entry in db.session.scalars(sa.select(AuditEntry)):
        assert str(response.id) not in str(entry.data) and response.id.hex not in str(entry.data)
    for msg in db.session.scalars(sa.select(OutboxMessage)):
        assert code not in msg.body_text and "Ma réponse" not in msg.body_text
        assert str(response.id) not in msg.body_text


def test_privacy_page_explains_how_answers_are_kept_apart(client):
    html = client.get("/privacy").get_data(as_text=True)
    assert "Consultations" in html
    assert "no link between the two" in html and "Edit code" in html


def test_my_data_lists_participations_and_account_deletion_unlinks_them(client, login, factory, make_consultation):
    c = make_consultation()
    person = factory.user(email="me@example.org")
    services.answer_consultation(person, c, form_for(c))
    db.session.commit()
    login(person)
    data = client.get("/account/my-data.json").get_json()
    assert data["consultations"][0]["consultation"] == c.title and "answered_on" in data["consultations"][0]
    assert client.post("/account/delete", data={"password": "correct horse battery", "confirm": "y"}).status_code == 302
    db.session.expire_all()
    [p] = db.session.scalars(sa.select(ConsultationParticipation)).all()
    assert p.user_id is None and p.notify is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnonymousResponse)) == 1
