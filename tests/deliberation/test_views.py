"""Debates and comments through the pages, with JavaScript off (plain forms)."""

import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from civic.core.settings import store_setting
from civic.core.time import to_utc, today
from civic.deliberation import services
from civic.deliberation.models import Comment, Debate, DebateState, Reaction
from civic.extensions import db
from tests.helpers import count_queries, count_rows, reload


def html_of(resp):
    return resp.get_data(as_text=True)


def test_a_resident_joins_a_debate_with_plain_forms(client, login, factory, make_debate):
    debate = make_debate(title="Faut-il piétonniser la rue d'Alsace-Lorraine le week-end ?")
    me = factory.user(name="Léa Martin")
    login(me)
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert page.count("<h1") == 1
    # Every input has its label; the side is a fieldset with a legend.
    assert '<label for="comment-body">' in page
    assert "<legend>Your position</legend>" in page
    for i in range(3):
        assert f'<label for="comment-alignment-{i}">' in page
    resp = client.post(f"/comments/debate/{debate.id}", data={
        "comment-body": "Pour, avec un essai de **trois mois**.", "comment-alignment": "for"})
    assert resp.status_code == 302
    comment = db.session.scalar(sa.select(Comment))
    assert resp.headers["Location"].endswith(f"/debates/{debate.id}#comment-{comment.id}")
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert f'id="comment-{comment.id}"' in page
    assert "<strong>trois mois</strong>" in page and "Léa Martin" in page
    assert "1 contribution" in page  # the summary box counts it on the "for" side
    assert "(possible until" in page  # the edit window is shown to the author


def test_an_invalid_comment_comes_back_with_the_reason_and_the_text_kept(client, login, factory, make_debate):
    debate = make_debate()
    login(factory.user())
    resp = client.post(f"/comments/debate/{debate.id}", data={"comment-body": "Mon argument sans position"})
    page = html_of(resp)
    assert resp.status_code == 422
    assert "There is a problem" in page and 'href="#comment-alignment"' in page
    assert "Say whether you are for, against, or neutral." in page
    assert "Mon argument sans position</textarea>" in page
    assert debate.title in page  # the page says what the comment is about
    assert count_rows(Comment) == 0


def test_the_rate_limit_is_explained_and_the_text_kept(client, login, factory, make_debate):
    store_setting(services.RATE_LIMIT_PER_HOUR, 1)
    db.session.commit()
    debate = make_debate()
    login(factory.user())
    assert client.post(f"/comments/debate/{debate.id}", data={
        "comment-body": "Un", "comment-alignment": "for"}).status_code == 302
    resp = client.post(f"/comments/debate/{debate.id}", data={"comment-body": "Deux", "comment-alignment": "for"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    page = html_of(resp)
    assert "You have posted 1 comments in the last hour" in page and "Deux</textarea>" in page


def test_visitors_read_comments_and_get_a_login_link(client, factory, make_debate, say):
    debate = make_debate()
    say(factory.user(), debate, "Argument public", "against")
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "Argument public" in page and "Log in to comment" in page
    assert 'name="comment-body"' not in page
    assert client.post(f"/comments/debate/{debate.id}", data={"comment-body": "x"}).status_code == 302  # to login


def test_replying_quotes_the_parent_and_nests_the_reply(client, login, factory, make_debate, say, mails):
    debate = make_debate()
    parent_author = factory.user(name="Bernard")
    parent = say(parent_author, debate, "Comment accéder en taxi ?", "against")
    login(factory.user(name="Karim"))
    page = html_of(client.get(f"/comments/{parent.id}/reply"))
    assert "Comment accéder en taxi ?" in page and "Reply to a comment" in page
    assert "(optional)" in page  # the side is optional on replies
    resp = client.post(f"/comments/debate/{debate.id}", data={
        "comment-body": "Les taxis PMR pourront entrer.", "comment-parent_id": str(parent.id)})
    assert resp.status_code == 302
    reply = db.session.scalar(sa.select(Comment).where(Comment.parent_id == parent.id))
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "In reply to Bernard:" in page
    nested = page.index(f'id="comment-{reply.id}"')
    assert page.index(f'id="comment-{parent.id}"') < nested
    [mail] = mails(parent_author.email)
    assert "Karim" in mail.body and f"#comment-{reply.id}" in mail.body


def test_the_author_edits_then_deletes_a_comment(client, login, factory, make_debate, say):
    debate = make_debate()
    me = factory.user()
    c = say(me, debate, "Premier jet", "for")
    login(me)
    page = html_of(client.get(f"/comments/{c.id}/edit"))
    assert "You can edit this comment until" in page and "Premier jet</textarea>" in page
    resp = client.post(f"/comments/{c.id}/edit", data={"comment-body": "Version propre", "comment-alignment": "for"})
    assert resp.status_code == 302
    assert "Version propre" in html_of(client.get(f"/debates/{debate.id}"))
    assert "will be removed for good" in html_of(client.get(f"/comments/{c.id}/delete"))
    assert client.post(f"/comments/{c.id}/delete").status_code == 302
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "Deleted by its author." in page and "Version propre" not in page


def test_someone_else_cannot_edit_or_delete(client, login, factory, make_debate, say):
    debate = make_debate()
    c = say(factory.user(), debate, "Le mien", "for")
    login(factory.user())
    assert client.get(f"/comments/{c.id}/edit").status_code == 403
    assert client.post(f"/comments/{c.id}/delete").status_code == 403


def test_rating_works_with_a_form_and_with_javascript(client, login, factory, make_debate, say):
    debate = make_debate()
    c = say(factory.user(), debate, "Argument", "for")
    me = factory.user()
    login(me)
    resp = client.post(f"/comments/{c.id}/react", data={"value": "useful", "next": f"/debates/{debate.id}?x=1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/debates/{debate.id}?x=1#comment-{c.id}")
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "1 person found this useful" in page and 'aria-pressed="true"' in page
    resp = client.post(f"/comments/{c.id}/react", data={"value": "not_useful"}, headers={"Accept": "application/json"})
    assert resp.get_json() == {"useful": 0, "not_useful": 1, "mine": "not_useful",
                               "summary": "0 people found this useful · 1 found it not useful"}
    assert count_rows(Reaction) == 1


def test_sorting_is_explained_on_the_page_and_on_the_help_page(client, make_debate, factory, say):
    debate = make_debate()
    say(factory.user(), debate, "Un", "for")
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "How is this sorted?" in page and "/debates/how-sorting-works" in page
    assert "found useful by people on both sides" in page
    assert 'aria-current="true"><strong>Most constructive' in page
    newest = html_of(client.get(f"/debates/{debate.id}?comments_order=newest"))
    assert 'aria-current="true"><strong>Newest' in newest
    help_page = html_of(client.get("/debates/how-sorting-works"))
    assert help_page.count("<h1") == 1
    assert "share = (useful + 1) / (useful + not useful + 2)" in help_page
    assert "the older comment first" in help_page
    # The worked example is computed by the ranking code: comment B (across sides) beats A (one side).
    scores = re.findall(r'<td class="num">([0-9.,]+)</td>\s*</tr>', help_page)
    assert len(scores) == 2 and float(scores[1]) > float(scores[0])


def test_comments_work_on_another_kind_through_the_registry(client, login, factory, thing, app):
    from civic.core import content

    with app.test_request_context(f"/things/{thing.id}"):
        panel = str(content.render_panels("thing", thing))
    assert f'action="/comments/thing/{thing.id}"' in panel or "Log in to comment" in panel
    assert "Your position" not in panel  # no sides on this kind
    login(factory.user())
    resp = client.post(f"/comments/thing/{thing.id}", data={"comment-body": "Je soutiens, il manque des bancs."})
    comment = db.session.scalar(sa.select(Comment).where(Comment.kind == "thing"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/things/{thing.id}#comment-{comment.id}")
    with app.test_request_context(f"/things/{thing.id}"):
        assert "Je soutiens, il manque des bancs." in str(content.render_panels("thing", thing))
    assert client.post("/comments/nosuchkind/1", data={"comment-body": "x"}).status_code == 404


def test_an_official_closes_a_debate_with_a_conclusion(client, login, official, make_debate, factory):
    debate = make_debate()
    login(official)
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert f"/debates/{debate.id}/close" in page
    resp = client.post(f"/debates/{debate.id}/close", data={"conclusion": ""})
    assert resp.status_code == 422 and "Write the conclusion" in html_of(resp)
    resp = client.post(f"/debates/{debate.id}/close", data={"conclusion": "Nous lançons un essai de trois mois."})
    assert resp.status_code == 302
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "Conclusion" in page and "Nous lançons un essai de trois mois." in page
    assert "This is no longer open for comments." in page and 'name="comment-body"' not in page
    assert reload(debate).state == DebateState.CLOSED


def test_residents_cannot_reach_the_closing_or_opening_forms(client, login, factory, make_debate):
    debate = make_debate()
    login(factory.user())
    assert client.get(f"/debates/{debate.id}/close").status_code == 403
    assert client.get("/debates/new").status_code == 403


def test_an_official_opens_a_debate_and_errors_keep_the_input(client, login, official, factory):
    district = factory.district(name="Saint-Cyprien")
    login(official)
    assert client.get("/debates/new").status_code == 200
    resp = client.post("/debates/new", data={"title": "Quelle place pour la voiture ?", "body": "Le cadre",
                                            "district_id": str(district.id), "sources-0-title": "Étude",
                                            "sources-0-url": "https://example.org/etude",
                                            "sources-1-title": "Plan", "sources-1-url": "pas de lien"})
    page = html_of(resp)
    assert resp.status_code == 422 and 'value="Quelle place pour la voiture ?"' in page
    assert re.search(r'id="sources-1-url-error"[^>]*>.*Enter a link starting with https://', page)
    assert 'value="https://example.org/etude"' in page and 'value="pas de lien"' in page
    # "Add a source": the same form, one more row, nothing saved.
    resp = client.post("/debates/new", data={"title": "Quelle place pour la voiture ?", "body": "Le cadre",
                                            "sources-0-title": "Étude", "sources-0-url": "https://example.org/etude",
                                            "add_row": "sources"})
    assert resp.status_code == 200 and 'name="sources-1-url"' in html_of(resp)
    assert db.session.scalar(sa.select(Debate)) is None
    resp = client.post("/debates/new", data={"title": "Quelle place pour la voiture ?", "body": "Le cadre",
                                            "district_id": str(district.id),
                                            "sources-0-title": "Étude", "sources-0-url": "https://example.org/etude"})
    assert resp.status_code == 302
    debate = db.session.scalar(sa.select(Debate))
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "Saint-Cyprien" in page and 'href="https://example.org/etude"' in page


def test_officials_close_and_reopen_comments_on_an_item(client, login, official, factory, thing, app):
    from civic.core import content

    login(official)
    resp = client.post(f"/comments/thing/{thing.id}/close", data={"reason": "La pétition est close."})
    assert resp.status_code == 302
    with app.test_request_context(f"/things/{thing.id}"):
        panel = str(content.render_panels("thing", thing))
    assert "Comments are closed on this page." in panel and "La pétition est close." in panel
    client.post(f"/comments/thing/{thing.id}/close", data={"action": "reopen"})
    db.session.expire_all()
    assert services.closed_reason("thing", thing) is None


def test_an_official_marks_their_answer(client, login, official, factory, make_debate, say):
    debate = make_debate()
    question = say(factory.user(), debate, "Et les bus ?", "neutral")
    answer = say(official, debate, "Ils seront déviés.", parent=question)
    login(official)
    assert client.post(f"/comments/{answer.id}/official-answer").status_code == 302
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "Official answer" in page and ">Official</span>" in page


def test_hidden_debates_are_not_shown_to_the_public(client, make_debate):
    from civic.core import content

    debate = make_debate(title="Débat masqué")
    content.hook("debate", "set_hidden")(debate, True)
    db.session.commit()
    assert client.get(f"/debates/{debate.id}").status_code == 404
    assert "Débat masqué" not in html_of(client.get("/debates/"))


def test_the_home_page_lists_open_debates(client, make_debate):
    make_debate(title="Quelle place pour la voiture aux abords des écoles ?")
    page = html_of(client.get("/"))
    assert "Debates open now" in page and "Quelle place pour la voiture aux abords des écoles ?" in page


def test_the_debate_list_filters_and_paginates(client, make_debate, official, factory):
    district = factory.district()
    make_debate(title="Débat de quartier", district_id=district.id)
    closed = make_debate(title="Débat clos")
    services.close_debate(official, closed, "Fin")
    db.session.commit()
    page = html_of(client.get("/debates/?state=open"))
    assert "Débat de quartier" in page and "Débat clos" not in page
    page = html_of(client.get("/debates/?district=0"))
    assert "Débat clos" in page and "Débat de quartier" not in page


def _debates_with_comments(make_debate, factory, say, rate, n):
    people = [factory.user() for _ in range(3)]
    debates = []
    for i in range(n):
        d = make_debate(title=f"Débat {i}")
        c = say(people[i % 3], d, "Argument", "for")
        rate(people[(i + 1) % 3], c, "useful")
        debates.append(d)
    return debates


def test_the_debate_list_runs_a_constant_number_of_queries(client, make_debate, factory, say, rate):
    _debates_with_comments(make_debate, factory, say, rate, 2)
    _, few = count_queries(lambda: client.get("/debates/"))
    _debates_with_comments(make_debate, factory, say, rate, 12)
    resp, many = count_queries(lambda: client.get("/debates/"))
    assert resp.status_code == 200 and html_of(resp).count('class="card"') == 14
    assert few == many


def test_a_page_of_threads_runs_a_constant_number_of_queries(client, login, make_debate, factory, say, rate):
    debate = make_debate()
    people = [factory.user() for _ in range(4)]
    viewer = factory.user()

    def add_threads(n):
        for i in range(n):
            top = say(people[i % 4], debate, f"Argument {i}", "for" if i % 2 else "against")
            reply = say(people[(i + 1) % 4], debate, "Réponse", parent=top)
            say(people[(i + 2) % 4], debate, "Réponse à la réponse", parent=reply)
            rate(people[(i + 3) % 4], top, "useful")
            rate(viewer, reply, "not_useful")

    add_threads(2)
    login(viewer)
    _, few = count_queries(lambda: client.get(f"/debates/{debate.id}"))
    add_threads(10)
    resp, many = count_queries(lambda: client.get(f"/debates/{debate.id}"))
    page = html_of(resp)
    assert page.count('class="comment"') == 30 and "More comments" in page  # ten threads of three
    assert few == many


def test_the_debate_and_its_comments_read_in_french(client, login, factory, make_debate, say):
    debate = make_debate()
    say(factory.user(), debate, "Argument", "for")
    login(factory.user(locale="fr"))
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert "Où en est le débat" in page and "Ajouter votre argument" in page
    assert "Les plus constructifs" in page and "Trier les commentaires" in page
    assert "<legend>Votre position</legend>" in page and ">Pour</span>" in page
    resp = client.post(f"/comments/debate/{debate.id}", data={"comment-body": "Sans position"})
    assert resp.status_code == 422 and "Indiquez si vous êtes pour, contre ou neutre." in html_of(resp)
    assert "part = (utile + 1) / (utile + pas utile + 2)" in html_of(client.get("/debates/how-sorting-works"))


def test_each_comment_links_to_the_moderation_report_form(app, client, login, factory, make_debate, say):
    if "moderation.report" not in app.view_functions:  # the moderation module provides it; stand in for it
        app.add_url_rule("/report/<kind>/<int:object_id>", "moderation.report", lambda kind, object_id: "")
    debate = make_debate()
    mine_author, other = factory.user(), factory.user()
    theirs = say(other, debate, "Le leur", "for")
    mine = say(mine_author, debate, "Le mien", "against")
    login(mine_author)
    page = html_of(client.get(f"/debates/{debate.id}"))
    assert f'href="/report/comment/{theirs.id}"' in page
    assert f'href="/report/comment/{mine.id}"' not in page  # not on one's own comment


def test_the_reply_form_is_refused_when_comments_are_closed(client, login, official, factory, make_debate, say):
    debate = make_debate()
    c = say(factory.user(), debate, "Argument", "for")
    services.close_comments(official, "debate", debate.id)
    db.session.commit()
    login(factory.user())
    resp = client.get(f"/comments/{c.id}/reply")
    assert resp.status_code == 403 and "Comments are closed on this page." in html_of(resp)


# --- dates, pages, refused transitions --------------------------------------------------------

def _next_autumn_change() -> date:
    """The last Sunday of October next year: Europe/Paris goes from UTC+2 to UTC+1 that night."""
    day = date(today().year + 1, 10, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@pytest.mark.parametrize("shift", [-1, 0, 1])
def test_the_last_day_entered_around_the_autumn_change_is_the_day_shown(client, login, official, shift):
    day = _next_autumn_change() + timedelta(days=shift)
    shown = f"{day:%B} {day.day}, {day.year}"
    login(official)
    resp = client.post("/debates/new", data={"title": "Quelle place pour la voiture ?", "body": "Le cadre",
                                            "district_id": "", "ends_at": day.isoformat()})
    assert resp.status_code == 302
    debate = db.session.scalar(sa.select(Debate))
    assert f"contributions until {shown}" in html_of(client.get(f"/debates/{debate.id}"))
    assert f"Until {shown}" in html_of(client.get("/debates/"))
    # Contributions are taken until local midnight at the end of that day, not a minute after.
    assert debate.ends_at == to_utc(datetime.combine(day + timedelta(days=1), time.min))
    assert debate.accepts_contributions(now=to_utc(datetime.combine(day, time(23, 30))))
    assert not debate.accepts_contributions(now=to_utc(datetime.combine(day + timedelta(days=1), time(0, 30))))


def test_a_page_number_out_of_range_is_refused_not_clamped(client, make_debate):
    debate = make_debate()
    assert client.get("/debates/?page=0").status_code == 422
    assert client.get("/debates/?page=2").status_code == 200
    assert client.get(f"/debates/{debate.id}?comments_page=abc").status_code == 422
    assert client.get(f"/debates/{debate.id}?comments_page=1").status_code == 200


def test_a_debate_closed_meanwhile_keeps_the_conclusion_typed(client, login, official, factory, make_debate):
    debate = make_debate()
    login(official)
    assert client.get(f"/debates/{debate.id}/close").status_code == 200
    services.close_debate(factory.user(roles=["official"]), debate, "Close par un collègue.")
    db.session.commit()
    resp = client.post(f"/debates/{debate.id}/close", data={"conclusion": "Ma conclusion, longue à écrire."})
    page = html_of(resp)
    assert resp.status_code == 409
    assert "There is a problem" in page and "Ma conclusion, longue à écrire.</textarea>" in page
    assert reload(debate).conclusion_source == "Close par un collègue."


def test_actions_are_shown_to_those_the_rules_allow(client, login, official, factory, make_debate, say):
    here, there = factory.district(), factory.district()
    debate = make_debate(district_id=here.id)
    mine = say(official, debate, "Réponse de la mairie.", "neutral")
    page = html_of(client.get("/debates/"))
    assert "Open a debate" not in page
    for person, sees in ((factory.user(), False), (factory.user(roles=[("official", there)]), False),
                         (official, True)):
        login(person)
        page = html_of(client.get(f"/debates/{debate.id}"))
        assert (f"/debates/{debate.id}/close" in page) is sees
        assert ("Close comments on this page" in page) is sees
        assert ("Mark as the official answer" in page) is (person is official)
        assert (f"/comments/{mine.id}/edit" in page) is (person is official)
    assert "Open a debate" in html_of(client.get("/debates/"))
