"""The assembly space through its services and the pages residents, members,
officials and admins use: lifecycle, permissions, recommendations with their
votes, official answers on the accountability page (on time, late, overdue),
implementation follow-up, the members' name choice, API and privacy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from civic.assemblies import services
from civic.assemblies.models import Assembly, AssemblyState, Member, Recommendation, RecommendationUpdate, Sitting
from civic.core.errors import InvalidTransition, PermissionDenied, ValidationError
from civic.core.models import AuditEntry
from civic.core.time import local_day, utcnow
from civic.extensions import db
from tests.assemblies import factories as af
from tests.helpers import count_rows, reload


def _html(resp):
    return resp.get_data(as_text=True)


def _text(resp):
    """The page's main content as text, tags removed, spaces collapsed."""
    main = _html(resp).split('<main', 1)[-1].split('</main>', 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#39;", "'")


@pytest.fixture
def admin(factory):
    return factory.user(email="admin@example.org", name="Admin", roles=["admin"])


# --- lifecycle and visibility ---------------------------------------------------------------

def test_a_draft_is_unknown_to_the_public_until_published(client, login, admin, factory):
    draft = af.assembly(admin, state="draft")
    assert client.get(f"/assemblies/{draft.id}").status_code == 404
    assert "Convention citoyenne sur l'eau" not in _html(client.get("/assemblies/"))
    login(admin)
    assert client.get(f"/assemblies/{draft.id}").status_code == 200
    page = client.get(f"/assemblies/{draft.id}/manage")
    assert "Publish and start the draw" in _html(page)
    resp = client.post(f"/assemblies/{draft.id}/state", data={"to": "selecting"})
    assert resp.status_code == 302
    assert reload(draft).state == AssemblyState.SELECTING and draft.published_at is not None
    client.post("/account/logout")
    assert client.get(f"/assemblies/{draft.id}").status_code == 200
    assert "Members being drawn" in _html(client.get("/assemblies/"))


def test_the_flow_refuses_a_skipped_state_with_409(client, login, admin):
    a = af.assembly(admin, state="draft")
    with pytest.raises(InvalidTransition):
        services.move_assembly(admin, a, "concluded")
    db.session.rollback()
    login(admin)
    resp = client.post(f"/assemblies/{a.id}/state", data={"to": "concluded"})
    assert resp.status_code == 409
    assert reload(a).state == AssemblyState.DRAFT
    assert client.post(f"/assemblies/{a.id}/state", data={"to": "nonsense"}).status_code == 422


def test_only_admins_create_and_manage(client, login, admin, factory):
    a = af.assembly(admin)
    official = factory.user(roles=["official"])
    with pytest.raises(PermissionDenied):
        services.create_assembly(official, services.AssemblyData("T", "S", "M", 10))
    login(factory.user())
    assert client.get("/assemblies/new").status_code == 403
    client.post("/account/logout")
    login(official)
    assert client.get(f"/assemblies/{a.id}/manage").status_code == 403
    assert client.post(f"/assemblies/{a.id}/sittings", data={"sitting-title": "X"}).status_code == 403
    assert "Manage the assembly" not in _html(client.get(f"/assemblies/{a.id}"))


def test_admin_creates_an_assembly_and_bad_input_comes_back_next_to_the_fields(client, login, admin):
    login(admin)
    resp = client.post("/assemblies/new", data={"title": "Convention sur l'eau", "summary": "Trente habitants.",
                                               "mandate": "Quelle eau demain ?", "size": "0",
                                               "answer_delay_days": "90"})
    assert resp.status_code == 422
    assert "Enter a number of members between 1 and 1000." in _html(resp)
    assert 'value="Convention sur l&#39;eau"' in _html(resp)  # input kept
    assert count_rows(Assembly) == 0
    resp = client.post("/assemblies/new", data={"title": "Convention sur l'eau", "summary": "Trente habitants.",
                                               "mandate": "Quelle **eau** demain ?", "size": "30",
                                               "answer_delay_days": "90"})
    assert resp.status_code == 302
    made = db.session.scalars(db.select(Assembly)).one()
    assert made.state == AssemblyState.DRAFT and "<strong>eau</strong>" in made.mandate_html


# --- the assembly's life: calendar, documents, hearings, groups, members ----------------------

def test_admin_fills_the_calendar_documents_hearings_and_groups_and_the_public_sees_them(client, login, admin):
    a = af.assembly(admin, members=4)
    login(admin)
    bad = client.post(f"/assemblies/{a.id}/sittings", data={
        "sitting-title": "Séance 1", "sitting-day": "2026-03-02", "sitting-starts": "18:00", "sitting-ends": "09:00"})
    assert bad.status_code == 422 and "Enter an end after the start." in _html(bad)
    assert 'value="Séance 1"' in _html(bad)
    ok = client.post(f"/assemblies/{a.id}/sittings", data={
        "sitting-title": "Séance 1 : le mandat", "sitting-day": "2026-03-02", "sitting-starts": "09:00",
        "sitting-ends": "17:00", "sitting-place": "Salle du Sénéchal"})
    assert ok.status_code == 302
    sitting = db.session.scalars(db.select(Sitting)).one()
    assert client.post(f"/assemblies/{a.id}/documents", data={
        "document-title": "Rapport sur l'eau", "document-url": "javascript:alert(1)"}).status_code == 422
    assert client.post(f"/assemblies/{a.id}/documents", data={
        "document-title": "Rapport sur l'eau", "document-url": "https://example.org/rapport.pdf",
        "document-sitting_id": str(sitting.id)}).status_code == 302
    assert client.post(f"/assemblies/{a.id}/hearings", data={
        "hearing-expert": "Dr Claire Fontan", "hearing-affiliation": "Hydrologue", "hearing-topic": "La Garonne",
        "hearing-sitting_id": str(sitting.id)}).status_code == 302
    members = services.members_of(a)
    assert client.post(f"/assemblies/{a.id}/groups", data={
        "group-name": "Tarifs et usages", "group-member_ids": [str(members[0].id), str(members[1].id)]}
    ).status_code == 302
    client.post("/account/logout")
    page = _text(client.get(f"/assemblies/{a.id}"))
    assert "Séance 1 : le mandat" in page and "Salle du Sénéchal" in page
    assert "Rapport sur l'eau" in page and 'href="https://example.org/rapport.pdf"' in _html(client.get(f"/assemblies/{a.id}"))
    assert "Dr Claire Fontan (Hydrologue): La Garonne" in page
    assert "Tarifs et usages — 2 members" in page


def test_members_are_shown_by_first_name_only_when_they_choose(client, login, admin, factory):
    a = af.assembly(admin, size=3)
    resident = factory.user(email="lea@example.org", name="Léa Martin")
    services.add_member(admin, a, "Karim", "", True)
    services.add_member(admin, a, "Solène", "", False)
    mine = services.add_member(admin, a, "Léa", "LEA@example.org", False)
    db.session.commit()
    assert mine.user_id == resident.id
    with pytest.raises(ValidationError) as full:
        services.add_member(admin, a, "Quatrième", "", False)
    assert "already has its 3 members" in full.value.fields["first_name"]
    db.session.rollback()
    page = _text(client.get(f"/assemblies/{a.id}"))
    assert "Karim" in page and "Solène" not in page and "Léa" not in page
    assert "and 2 members who prefer not to be named" in page
    login(resident)
    assert "Show my first name on the assembly's page" in _text(client.get(f"/assemblies/{a.id}"))
    resp = client.post(f"/assemblies/members/{mine.id}/name", data={"show_name": "y"})
    assert resp.status_code == 302
    assert reload(mine).show_name is True
    assert "Léa" in _text(client.get(f"/assemblies/{a.id}"))
    # Nobody else decides for her.
    other = factory.user()
    with pytest.raises(PermissionDenied):
        services.set_name_shown(other, mine, False)


# --- recommendations and their answers ------------------------------------------------------------

def test_a_recommendation_needs_a_majority_and_votes_the_members_can_cast(admin):
    a = af.assembly(admin, size=30)
    data = dict(title="Fontaines", body="Une fontaine par quartier.", adopted_on=local_day(utcnow()))
    with pytest.raises(ValidationError) as tie:
        services.adopt_recommendation(admin, a, services.RecommendationData(votes_for=10, votes_against=10,
                                                                             votes_abstain=0, **data))
    assert "votes_for" in tie.value.fields
    with pytest.raises(ValidationError) as too_many:
        services.adopt_recommendation(admin, a, services.RecommendationData(votes_for=25, votes_against=5,
                                                                             votes_abstain=1, **data))
    assert "More votes than the 30 members" in too_many.value.fields["votes_abstain"]
    with pytest.raises(ValidationError) as future:
        services.adopt_recommendation(admin, a, services.RecommendationData(
            votes_for=20, votes_against=5, votes_abstain=1, **dict(data, adopted_on=local_day(utcnow()) + timedelta(days=2))))
    assert "adopted_on" in future.value.fields
    rec = services.adopt_recommendation(admin, a, services.RecommendationData(votes_for=20, votes_against=5,
                                                                               votes_abstain=1, **data))
    assert rec.number == 1 and rec.answer_due_at - rec.adopted_at == timedelta(days=90)
    selecting = af.assembly(admin, state="selecting", title="Autre")
    with pytest.raises(InvalidTransition):
        services.adopt_recommendation(admin, selecting, services.RecommendationData(
            votes_for=20, votes_against=5, votes_abstain=1, **data))


def test_recommendation_page_shows_votes_and_what_the_city_owes(client, admin):
    a = af.assembly(admin)
    rec = af.recommendation(a, admin, days_ago=100, votes=(24, 3, 2))
    page = _text(client.get(f"/assemblies/recommendations/{rec.id}"))
    assert "Recommendation 1: Des fontaines dans chaque quartier" in page
    assert "For Against Abstentions 24 3 2" in page
    assert "Late: The city owes an answer by" in page
    assert "Adopted on" in _text(client.get(f"/assemblies/{a.id}"))


def test_officials_of_the_district_answer_and_others_cannot(client, login, admin, factory):
    north, south = factory.district(code="N"), factory.district(code="S")
    a = af.assembly(admin, district=north)
    rec = af.recommendation(a, admin)
    outsider = factory.user(roles=[("official", south)])
    with pytest.raises(PermissionDenied):
        services.answer_recommendation(outsider, rec, "accepted", af.ANSWER)
    db.session.rollback()
    login(outsider)
    assert client.get(f"/assemblies/recommendations/{rec.id}/official").status_code == 403
    client.post("/account/logout")
    official = factory.user(roles=[("official", north)])
    login(official)
    assert "Answer or follow up this recommendation (officials)" in _html(
        client.get(f"/assemblies/recommendations/{rec.id}"))
    short = client.post(f"/assemblies/recommendations/{rec.id}/answer", data={"decision": "accepted",
                                                                               "answer": "Oui."})
    assert short.status_code == 422 and "at least 20 characters" in _html(short)
    assert "Oui.</textarea>" in _html(short)
    assert reload(rec).answered_at is None
    resp = client.post(f"/assemblies/recommendations/{rec.id}/answer", data={"decision": "partly",
                                                                              "answer": af.ANSWER})
    assert resp.status_code == 302
    rec = reload(rec)
    assert rec.answered_by_id == official.id and rec.decision.value == "partly"
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "recommendation.answered")) is not None
    page = _text(client.get(f"/assemblies/recommendations/{rec.id}"))
    assert "Partly accepted" in page and "on time" in page and af.ANSWER in page
    with pytest.raises(InvalidTransition):
        services.answer_recommendation(official, rec, "accepted", af.ANSWER)


def test_implementation_updates_follow_an_answer(client, login, admin, factory):
    a = af.assembly(admin)
    rec = af.recommendation(a, admin)
    official = factory.user(roles=["official"])
    with pytest.raises(InvalidTransition):
        services.add_implementation_update(official, rec, "in_progress", 20, "Étude lancée.")
    db.session.rollback()
    af.answer(rec, official)
    login(official)
    bad = client.post(f"/assemblies/recommendations/{rec.id}/updates", data={"status": "in_progress",
                                                                              "progress": "150", "note": "Chantier."})
    assert bad.status_code == 422 and "Enter a percentage between 0 and 100." in _html(bad)
    assert client.post(f"/assemblies/recommendations/{rec.id}/updates", data={
        "status": "in_progress", "progress": "40", "note": "Les premières fontaines sont posées."}).status_code == 302
    assert client.post(f"/assemblies/recommendations/{rec.id}/updates", data={
        "status": "done", "progress": "80", "note": "Toutes les fontaines sont en service."}).status_code == 302
    assert count_rows(RecommendationUpdate) == 2
    page = _text(client.get(f"/assemblies/recommendations/{rec.id}"))
    assert "Implementation Done — 100% done" in page
    assert "Les premières fontaines sont posées." in page


def test_owed_answers_appear_on_the_accountability_page_on_time_late_overdue_and_pending(client, admin, factory):
    a = af.assembly(admin, title="Convention sur l'eau")
    on_time = af.recommendation(a, admin, days_ago=150, title="Tarification progressive")
    late = af.recommendation(a, admin, days_ago=150, title="Plan fuites")
    overdue = af.recommendation(a, admin, days_ago=120, title="Récupérer l'eau de pluie")
    pending = af.recommendation(a, admin, days_ago=10, title="Fontaines publiques")
    official = factory.user(roles=["official"])
    af.answer(on_time, official, days_after=60)
    af.answer(late, official, days_after=110)
    page = _text(client.get("/accountability?kind=recommendation"))
    assert "Assembly recommendation Tarification progressive" in page
    assert re.search(r"Tarification progressive .*? Answered on time on", page)
    assert re.search(r"Plan fuites .*? Answered 20 days late on", page)
    # 30 days, or 31 when a change to winter time fell in between (local days).
    assert re.search(r"Récupérer l'eau de pluie .*? Overdue by 3[01] days", page)
    assert re.search(r"Fontaines publiques .*? Pending", page)
    # A recommendation hidden by moderation leaves the public list.
    from civic.core import content

    content.hook("recommendation", "set_hidden")(pending, True)
    db.session.commit()
    assert "Fontaines publiques" not in _text(client.get("/accountability?kind=recommendation"))
    assert overdue.answered_at is None


# --- registry, API, privacy -----------------------------------------------------------------

def test_pages_end_with_the_registry_panels_and_the_nav_links_the_list(client, admin):
    a = af.assembly(admin)
    rec = af.recommendation(a, admin)
    home = _html(client.get("/"))
    assert 'href="/assemblies/"' in home and "Citizens&#39; assemblies" in home
    for url in (f"/assemblies/{a.id}", f"/assemblies/recommendations/{rec.id}"):
        html = _html(client.get(url))
        assert 'id="comments' in html or "Comments" in html
        assert "Follow" in html


def test_api_lists_assemblies_and_gives_recommendations_with_votes_and_answers(client, admin, factory):
    a = af.assembly(admin, members=2)
    services.add_member(admin, a, "Karim", "", True)
    rec = af.recommendation(a, admin, votes=(20, 4, 1))
    af.answer(rec, decision="rejected")
    af.assembly(admin, state="draft", title="Brouillon")
    listing = client.get("/api/v1/assemblies").get_json()
    assert [i["title"] for i in listing["items"]] == ["Convention citoyenne sur l'eau"]
    detail = client.get(f"/api/v1/assemblies/{a.id}").get_json()
    assert detail["members"] == {"seated": 3, "shown_first_names": ["Karim"]}
    assert detail["recommendations"][0]["votes"] == {"for": 20, "against": 4, "abstentions": 1}
    one = client.get(f"/api/v1/assemblies/recommendations/{rec.id}").get_json()
    assert one["official_answer"]["decision"] == "rejected"
    assert client.get("/api/v1/assemblies/2147483647").status_code == 404


def test_members_find_their_seat_in_my_data_and_erasure_unlinks_it(client, login, admin, factory):
    a = af.assembly(admin)
    resident = factory.user(email="karim@example.org")
    member = services.add_member(admin, a, "Karim", "karim@example.org", True)
    db.session.commit()
    login(resident)
    data = client.get("/account/my-data.json").get_json()
    assert data["assemblies"]["memberships"][0]["first_name"] == "Karim"
    assert data["assemblies"]["memberships"][0]["first_name_shown"] is True
    resp = client.post("/account/delete", data={"password": factory.PASSWORD, "confirm": "y"})
    assert resp.status_code == 302
    member = reload(member)
    assert member.user_id is None and member.first_name is None and member.show_name is False
    assert count_rows(Member) == 1  # the seat still counts
    assert count_rows(Recommendation) == 0
