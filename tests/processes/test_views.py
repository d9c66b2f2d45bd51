"""Processes and proposals through the pages a resident, an official and an admin use."""

import csv
import io
import re

import sqlalchemy as sa

from civic.core import phases
from civic.core.models import AuditEntry
from civic.extensions import db
from civic.processes import services
from civic.processes.models import Process, Proposal, ProposalState, Support
from tests.helpers import count_queries, count_rows


def _html(resp):
    return resp.get_data(as_text=True)


def test_process_page_shows_timeline_what_to_do_and_proposals(client, make_process, make_proposal):
    process = make_process(threshold_type="count", threshold_value=3)
    make_proposal(process, title="Des arceaux devant les écoles")
    html = _html(client.get(f"/processes/{process.id}"))
    assert html.count("<h1>") == 1
    assert "Plan vélo 2027" in html and 'aria-current="step"' in html
    assert "Submit a proposal" in html
    assert "A proposal needs 3 supports to get an official answer." in html
    assert "Des arceaux devant les écoles" in html
    assert "<h2>Calendrier</h2>" in html  # sanitized Markdown description


def test_home_page_and_index_list_open_processes_and_archive_lists_past_ones(client, make_process, admin, end_phase):
    open_one = make_process(title="Plan vélo 2027")
    past = make_process(title="Place Arnaud-Bernard")
    end_phase(past, admin)
    home = _html(client.get("/"))
    assert "Plan vélo 2027" in home and "Place Arnaud-Bernard" not in home
    index = _html(client.get("/processes/"))
    assert "Plan vélo 2027" in index and "Place Arnaud-Bernard" not in index
    archive = _html(client.get("/processes/archive"))
    assert "Place Arnaud-Bernard" in archive and "Plan vélo 2027" not in archive
    assert open_one.id != past.id


def test_resident_sees_similar_proposals_before_publishing(client, login, factory, make_process, make_proposal):
    process = make_process()
    existing = make_proposal(process, title="Piste cyclable boulevard Carnot",
                             body="Une piste cyclable séparée sur le boulevard Carnot, des deux côtés.")
    login(factory.user())
    data = {"title": "Sécuriser les vélos boulevard Carnot",
            "body": "Le boulevard Carnot est dangereux à vélo : il faut une piste séparée.", "district_id": ""}
    resp = client.post(f"/processes/{process.id}/proposals/new", data=data)
    html = _html(resp)
    assert resp.status_code == 200
    assert "Similar proposals already exist" in html and f"/proposals/{existing.id}" in html
    assert count_rows(Proposal) == 1
    assert 'value="Sécuriser les vélos boulevard Carnot"' in html
    resp = client.post(f"/processes/{process.id}/proposals/new", data={**data, "similar_seen": "1"})
    assert resp.status_code == 302
    new = db.session.scalar(sa.select(Proposal).order_by(Proposal.id.desc()))
    assert new.title == "Sécuriser les vélos boulevard Carnot"
    assert resp.headers["Location"].endswith(f"/proposals/{new.id}")


def test_invalid_proposal_comes_back_with_messages_next_to_fields(client, login, factory, make_process):
    process = make_process()
    login(factory.user())
    resp = client.post(f"/processes/{process.id}/proposals/new", data={"title": "Bancs", "body": "court"})
    html = _html(resp)
    assert resp.status_code == 422
    assert "There is a problem" in html and 'aria-invalid="true"' in html
    assert 'value="Bancs"' in html


def test_submitting_outside_a_submission_phase_is_refused(client, login, factory, make_process):
    process = make_process(caps=("support",))
    login(factory.user())
    assert client.get(f"/processes/{process.id}/proposals/new").status_code == 409


def test_support_from_the_page_with_limit_shown_and_withdraw(client, login, factory, make_process, make_proposal):
    process = make_process(support_limit=3)
    p = make_proposal(process)
    login(factory.user(email="me@example.org"))
    html = _html(client.get(f"/proposals/{p.id}"))
    assert "0 of 3 supports used in this process" in html and 'aria-live="polite"' in html
    resp = client.post(f"/proposals/{p.id}/support", data={"notify": "y"})
    assert resp.status_code == 302
    html = _html(client.get(f"/proposals/{p.id}"))
    assert "1 of 3 supports used in this process" in html and "You support this proposal." in html
    assert "1 support" in html
    support = db.session.scalar(sa.select(Support))
    assert support.notify is True
    client.post(f"/proposals/{p.id}/support", data={"action": "withdraw"})
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).support_count == 0


def test_second_support_from_the_page_is_refused_with_a_message(client, login, factory, make_process, make_proposal):
    p = make_proposal(make_process())
    login(factory.user())
    client.post(f"/proposals/{p.id}/support", data={})
    resp = client.post(f"/proposals/{p.id}/support", data={}, follow_redirects=True)
    assert "You already support this proposal." in _html(resp)
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).support_count == 1


def test_anonymous_visitor_is_asked_to_log_in_to_support(client, make_process, make_proposal):
    p = make_proposal(make_process())
    assert "Log in to support this proposal" in _html(client.get(f"/proposals/{p.id}"))
    assert client.post(f"/proposals/{p.id}/support").status_code == 302
    assert count_rows(Support) == 0


def test_random_order_is_kept_for_the_visitor_and_explained(client, make_process, make_proposal):
    process = make_process()
    for i in range(25):
        make_proposal(process, title=f"Proposition numéro {i:02d}")

    def titles(page):
        return re.findall(r"Proposition numéro \d\d", _html(client.get(f"/processes/{process.id}/proposals?page={page}")))

    first, second = titles(1), titles(2)
    assert titles(1) == first
    assert len(first) == 20 and len(second) == 5 and not set(first) & set(second)
    html = _html(client.get(f"/processes/{process.id}/proposals"))
    assert "How is this list sorted?" in html and "kept for the day" in html


def test_proposal_list_runs_the_same_number_of_queries_whatever_its_length(client, make_process, make_proposal,
                                                                           factory):
    process = make_process(categories=["Mobilité"])
    for i in range(3):
        make_proposal(process, author=factory.user(), title=f"Proposition numéro {i}", category="Mobilité")
    url = f"/processes/{process.id}/proposals?order=supports"  # read before counting: commits expire it
    client.get(url)
    resp, few = count_queries(lambda: client.get(url))
    assert resp.status_code == 200
    for i in range(15):
        make_proposal(process, author=factory.user(), title=f"Autre proposition {i}", category="Mobilité")
    resp, many = count_queries(lambda: client.get(url))
    assert resp.status_code == 200
    assert few == many <= 10  # 10: one for the cards' pictures (civic.core.pictures.for_owners), one for the site identity


def test_filters_by_state_category_and_district(client, make_process, make_proposal, factory):
    d = factory.district(name="Saint-Cyprien")
    process = make_process(categories=["Mobilité", "Nature"])
    make_proposal(process, title="Proposition de mobilité", category="Mobilité")
    make_proposal(process, title="Proposition de nature", category="Nature", district_id=d.id)
    html = _html(client.get(f"/processes/{process.id}/proposals?category=Nature"))
    assert "Proposition de nature" in html and "Proposition de mobilité" not in html
    html = _html(client.get(f"/processes/{process.id}/proposals?district={d.id}"))
    assert "Proposition de nature" in html and "Proposition de mobilité" not in html
    html = _html(client.get(f"/processes/{process.id}/proposals?state=accepted"))
    assert "No proposal matches these filters." in html


def test_official_answers_from_the_follow_up_page(client, login, factory, make_process, make_proposal, mails):
    p = make_proposal(make_process())
    supporter = factory.user(email="supporter@example.org")
    services.support_proposal(supporter, p, notify=True)
    db.session.commit()
    login(factory.user(email="resident@example.org"))
    assert client.get(f"/proposals/{p.id}/official").status_code == 403
    client.post("/account/logout")
    login(factory.user(email="elu@example.org", roles=["official"]))
    resp = client.post(f"/proposals/{p.id}/official", data={"action": "answer", "answer-decision": "accepted",
                                                              "answer-answer": "Trop court"})
    assert resp.status_code == 422 and "at least 20 characters" in _html(resp)
    resp = client.post(f"/proposals/{p.id}/official", data={
        "action": "answer", "answer-decision": "accepted",
        "answer-answer": "La Ville retient la proposition : travaux à l'automne 2027."})
    assert resp.status_code == 302
    html = _html(client.get(f"/proposals/{p.id}"))
    assert "travaux à l'automne 2027" in html and "Accepted, with an official answer" in html
    assert any("answered" in m.subject for m in mails("supporter@example.org"))


def test_author_withdraws_with_a_reason_shown_publicly(client, login, factory, make_process, make_proposal):
    author = factory.user()
    p = make_proposal(make_process(), author=author)
    login(author)
    resp = client.post(f"/proposals/{p.id}/withdraw", data={"reason": ""})
    assert resp.status_code == 422
    client.post(f"/proposals/{p.id}/withdraw", data={"reason": "Une meilleure proposition existe."})
    html = _html(client.get(f"/proposals/{p.id}"))
    assert "Withdrawn by its author" in html and "Une meilleure proposition existe." in html


def test_amendment_flow_through_the_pages(client, login, factory, make_process, make_proposal):
    author = factory.user(email="author@example.org")
    p = make_proposal(make_process(), author=author)
    login(factory.user(email="amender@example.org"))
    assert 'value="Une piste cyclable rue de Metz"' in _html(client.get(f"/proposals/{p.id}/amend"))
    resp = client.post(f"/proposals/{p.id}/amend", data={
        "title": p.title, "body": p.body + " Et des arceaux.", "explanation": "Stationner les vélos."})
    assert resp.status_code == 302
    client.post("/account/logout")
    login(author)
    html = _html(client.get(f"/proposals/{p.id}"))
    assert "Waiting for the author" in html and "Accept: replace my text" in html
    amendment_id = int(re.search(r'id="amendment-(\d+)"', html).group(1))
    resp = client.post(f"/amendments/{amendment_id}/decide", data={"decision": "reject", "reason": ""},
                       follow_redirects=True)
    assert "Say why you reject this amendment." in _html(resp)
    client.post(f"/amendments/{amendment_id}/decide", data={"decision": "accept"})
    html = _html(client.get(f"/proposals/{p.id}"))
    assert "Et des arceaux." in html and "Accepted by the author" in html
    assert "2 versions of the text" in html
    assert "Et des arceaux." in _html(client.get(f"/proposals/{p.id}/versions"))


def test_csv_has_answers_and_no_email_addresses(client, factory, make_process, make_proposal):
    p = make_proposal(make_process(), author=factory.user(email="secret@example.org", name="Léa M."))
    services.answer_proposal(factory.user(roles=["official"]), p, "rejected",
                             "Le coût dépasse le budget disponible cette année.")
    db.session.commit()
    resp = client.get(f"/processes/{p.process_id}/proposals.csv")
    assert resp.mimetype == "text/csv"
    body = resp.get_data(as_text=True)
    assert "@" not in body
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row["state"] == "rejected" and row["author"] == "Léa M."
    assert row["official_answer"].startswith("Le coût dépasse")


def test_admin_creates_sets_phases_and_publishes_a_process(client, login, admin, factory):
    login(factory.user(email="resident@example.org"))
    assert client.get("/processes/new").status_code == 403
    client.post("/account/logout")
    login(admin)
    resp = client.post("/processes/new", data={"title": "", "summary": "", "answer_delay_days": "90",
                                               "threshold_type": "none"})
    assert resp.status_code == 422 and "Give the process a title." in _html(resp)
    resp = client.post("/processes/new", data={
        "title": "Budget participatif 2027", "summary": "Proposez des projets pour votre quartier.",
        "description": "Du **texte**.", "categories": "Nature\nMobilité\n", "threshold_type": "percent",
        "threshold_value": "1,5", "answer_delay_days": "60", "support_limit": "10"})
    assert resp.status_code == 302
    process = db.session.scalar(sa.select(Process))
    assert process.threshold_value == 150 and process.categories == ["Nature", "Mobilité"]
    assert process.published_at is None
    assert client.get(f"/processes/{process.id}").status_code == 200
    resp = client.post(f"/processes/{process.id}/phases", data={
        "rows-0-code": "information", "rows-0-title": "Information", "rows-0-starts_on": "2020-01-01",
        "rows-0-ends_on": "2020-01-31",
        "rows-1-code": "proposals", "rows-1-title": "Dépôt", "rows-1-starts_on": "2020-02-01",
        "rows-1-capabilities": ["submit", "support"]})
    assert resp.status_code == 302
    assert [p.code for p in phases.phases_for("process", process.id)] == ["information", "proposals"]
    assert client.post(f"/processes/{process.id}/publish").status_code == 302
    db.session.expire_all()
    assert process.published_at is not None and process.phase_code == "proposals"
    client.post("/account/logout")
    assert "Budget participatif 2027" in _html(client.get("/processes/"))


def test_phases_in_the_wrong_order_are_refused(client, login, admin, make_process):
    process = make_process()
    login(admin)
    resp = client.post(f"/processes/{process.id}/phases", data={
        "rows-0-code": "information", "rows-0-starts_on": "2030-02-01",
        "rows-1-code": "proposals", "rows-1-starts_on": "2030-01-01"})
    assert resp.status_code == 422 and "starts before the previous one" in _html(resp)


def test_admin_moves_a_phase_by_hand_with_a_reason(client, login, admin, make_process):
    process = make_process()
    last = phases.phases_for("process", process.id)[-1]
    login(admin)
    resp = client.post(f"/processes/{process.id}/phases/move", data={"move-phase_id": str(last.id),
                                                                     "move-reason": ""})
    assert resp.status_code == 422
    resp = client.post(f"/processes/{process.id}/phases/move", data={"move-phase_id": str(last.id),
                                                                     "move-reason": "Calendrier avancé"})
    assert resp.status_code == 302
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "phase.changed",
                                                          AuditEntry.reason == "Calendrier avancé"))
    assert entry.actor_id == admin.id


def test_official_of_another_district_cannot_manage_the_process(client, login, factory, make_process):
    process = make_process(district=factory.district())
    login(factory.user(roles=[("official", factory.district())]))
    assert client.get(f"/processes/{process.id}/manage").status_code == 403
    assert client.get(f"/processes/{process.id}/settings").status_code == 403


def test_proposal_page_in_french(client, make_process, make_proposal, factory):
    p = make_proposal(make_process())
    services.support_proposal(factory.user(), p)
    db.session.commit()
    html = _html(client.get(f"/proposals/{p.id}", headers={"Accept-Language": "fr"}))
    assert '<html lang="fr">' in html
    assert "1 soutien" in html and "Historique" in html and "Proposition publiée" in html


def test_hidden_proposal_is_not_found_for_the_public(client, make_process, make_proposal):
    from civic.core import content

    p = make_proposal(make_process())
    content.hook("proposal", "set_hidden")(p, True)
    db.session.commit()
    assert client.get(f"/proposals/{p.id}").status_code == 404
    assert p.state == ProposalState.PUBLISHED


# --- dates, pages, refused actions ------------------------------------------------------

def test_phase_dates_around_the_october_dst_change_read_back_as_the_same_days(client, login, admin):
    """Europe/Paris leaves summer time on 25 October 2026 and 31 October 2027:
    the days entered are the days shown, and "until" names the last day included."""
    process = services.create_process(admin, services.ProcessData(title="Plan vélo 2027", summary="Proposez."))
    db.session.commit()
    login(admin)
    resp = client.post(f"/processes/{process.id}/phases", data={
        "rows-0-code": "information", "rows-0-starts_on": "2026-10-25", "rows-0-ends_on": "2026-10-25",
        "rows-1-code": "proposals", "rows-1-starts_on": "2026-10-26", "rows-1-ends_on": "2027-10-31",
        "rows-1-capabilities": ["submit", "support"],
        "rows-2-code": "results", "rows-2-starts_on": "2027-11-01"})
    assert resp.status_code == 302
    form = _html(client.get(f"/processes/{process.id}/phases"))
    for name, day in (("rows-0-starts_on", "2026-10-25"), ("rows-0-ends_on", "2026-10-25"),
                      ("rows-1-starts_on", "2026-10-26"), ("rows-1-ends_on", "2027-10-31"),
                      ("rows-2-starts_on", "2027-11-01")):
        assert re.search(rf'name="{name}"[^>]*value="{day}"', form), name
    assert client.post(f"/processes/{process.id}/publish").status_code == 302
    assert "from October 26, 2026" in _html(client.get(f"/processes/{process.id}"))
    assert "until October 31, 2027" in _html(client.get(f"/processes/{process.id}"))
    assert "until October 31, 2027" in _html(client.get("/processes/"))
    assert "until October 31, 2027" in _html(client.get("/"))


def test_a_page_number_out_of_range_is_refused_not_clamped(client, make_process):
    process = make_process()
    for url in ("/processes/?page=0", "/processes/archive?page=-1", f"/processes/{process.id}/proposals?page=abc"):
        assert client.get(url).status_code == 422, url
    resp = client.get("/api/v1/proposals?page=0")
    assert resp.status_code == 422 and "page" in resp.get_json()["error"]["fields"]
    assert client.get("/api/v1/processes?page=100001").status_code == 422
    assert client.get(f"/processes/{process.id}/proposals?page=2").status_code == 200


def test_an_answer_no_longer_possible_keeps_the_form_and_its_text(client, login, factory, make_process,
                                                                  make_proposal):
    p = make_proposal(make_process(), state=ProposalState.REJECTED)
    login(factory.user(roles=["official"]))
    resp = client.post(f"/proposals/{p.id}/official", data={
        "action": "answer", "answer-decision": "accepted",
        "answer-answer": "Finalement la Ville retient la proposition."})
    html = _html(resp)
    assert resp.status_code == 409
    assert "This action is no longer possible in the current state." in html
    assert "Finalement la Ville retient la proposition." in html
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).state == ProposalState.REJECTED


def test_publishing_without_phases_says_why(client, login, admin):
    process = services.create_process(admin, services.ProcessData(title="Brouillon", summary="Pas de phases"))
    db.session.commit()
    login(admin)
    resp = client.post(f"/processes/{process.id}/publish", follow_redirects=True)
    assert "Add the phases of the process before publishing it." in _html(resp)
    db.session.expire_all()
    assert db.session.get(Process, process.id).published_at is None


def test_an_unconfirmed_account_pressing_support_is_told_why(client, login, factory, make_process, make_proposal):
    p = make_proposal(make_process())
    login(factory.user(confirmed=False))
    resp = client.post(f"/proposals/{p.id}/support", data={}, follow_redirects=True)
    assert resp.status_code == 200 and "Please confirm your email address first" in _html(resp)
    assert count_rows(Support) == 0


# --- actions shown by the same rules the services apply ------------------------------------

def test_management_links_follow_the_permissions(client, login, factory, admin):
    here = factory.district()
    draft = services.create_process(admin, services.ProcessData(title="Place du marché", summary="Réaménager",
                                                                district_id=here.id))
    db.session.commit()
    official_here = factory.user(roles=[("official", here)])
    login(official_here)
    assert "Manage this process" in _html(client.get(f"/processes/{draft.id}"))
    assert "Create a process" not in _html(client.get("/admin/"))
    assert "Publish the process" not in _html(client.get(f"/processes/{draft.id}/manage"))
    client.post("/account/logout")
    login(factory.user(roles=[("official", factory.district())]))
    assert client.get(f"/processes/{draft.id}").status_code == 404
    client.post("/account/logout")
    login(admin)
    assert "Create a process" in _html(client.get("/admin/"))
    assert "Publish the process" in _html(client.get(f"/processes/{draft.id}/manage"))


def test_author_actions_are_offered_to_the_author_only(client, login, factory, make_process, make_proposal):
    author = factory.user()
    p = make_proposal(make_process(), author=author)
    login(author)
    html = _html(client.get(f"/proposals/{p.id}"))
    assert f"/proposals/{p.id}/edit" in html and f"/proposals/{p.id}/withdraw" in html
    assert f"/proposals/{p.id}/amend" not in html and f"/proposals/{p.id}/official" not in html
    client.post("/account/logout")
    login(factory.user(roles=["official"]))
    html = _html(client.get(f"/proposals/{p.id}"))
    assert f"/proposals/{p.id}/edit" not in html and f"/proposals/{p.id}/official" in html
    assert f"/proposals/{p.id}/amend" in html


def test_only_admins_are_offered_to_move_a_phase_by_hand(client, login, factory, admin, make_process):
    here = factory.district()
    process = make_process(district=here)
    login(factory.user(roles=[("official", here)]))
    html = _html(client.get(f"/processes/{process.id}/phases"))
    assert "Save the phases" in html and "Enter this phase now" not in html
    last = phases.phases_for("process", process.id)[-1]
    assert client.post(f"/processes/{process.id}/phases/move", data={
        "move-phase_id": str(last.id), "move-reason": "Calendrier avancé"}).status_code == 403
    client.post("/account/logout")
    login(admin)
    assert "Enter this phase now" in _html(client.get(f"/processes/{process.id}/phases"))


def test_the_optional_category_may_be_left_empty_through_the_similar_proposals_step(
        client, login, factory, make_process, make_proposal):
    process = make_process(categories=("Mobilité", "Espaces verts"))
    make_proposal(process, title="Piste cyclable boulevard Carnot",
                  body="Une piste cyclable séparée sur le boulevard Carnot, des deux côtés.")
    login(factory.user())
    data = {"title": "Sécuriser les vélos boulevard Carnot", "district_id": "", "category": "",
            "body": "Le boulevard Carnot est dangereux à vélo : il faut une piste séparée."}
    first = client.post(f"/processes/{process.id}/proposals/new", data=data)
    assert first.status_code == 200 and "Similar proposals already exist" in _html(first)
    resp = client.post(f"/processes/{process.id}/proposals/new", data={**data, "similar_seen": "1"})
    assert resp.status_code == 302, _html(resp)
    assert count_rows(Proposal) == 2
    # A category that is not the process's is still refused, next to its field.
    wrong = client.post(f"/processes/{process.id}/proposals/new",
                        data={**data, "title": "Autre idée", "category": "Inventée", "similar_seen": "1"})
    assert wrong.status_code == 422 and "Choose a category from the list." in _html(wrong)
