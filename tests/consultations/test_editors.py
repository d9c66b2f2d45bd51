"""The structured editors of consultations without JavaScript: documents
(title + address) and next steps (date + text) are rows of real fields; "Add"
and "Remove" are answered by the server with the same form, every input kept
and nothing saved; a message lands next to the right field of the right row."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import sqlalchemy as sa

from civic.consultations import services
from civic.consultations.models import Consultation, FollowupStep
from civic.core.time import today
from civic.extensions import db
from tests.consultations import factories
from tests.helpers import count_rows, reload


class Page(HTMLParser):
    """The inputs (name -> value, in order), legends, and messages (id -> text) of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.inputs, self.legends, self.errors, self.described = {}, [], {}, {}
        self._legend = self._error = None
        self._template = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self._template += 1
        if self._template:
            return
        if tag == "input" and a.get("name"):
            self.inputs[a["name"]] = a.get("value", "")
            self.described[a["name"]] = (a.get("aria-describedby") or "").split()
        elif tag == "legend":
            self._legend = ""
        elif tag == "p" and "field-error" in (a.get("class") or ""):
            self._error = a.get("id")
            self.errors[self._error] = ""

    def handle_endtag(self, tag):
        if tag == "template":
            self._template -= 1
        elif tag == "legend" and self._legend is not None:
            self.legends.append(self._legend.strip())
            self._legend = None
        elif tag == "p":
            self._error = None

    def handle_data(self, data):
        if self._template:
            return
        if self._legend is not None:
            self._legend += data
        if self._error is not None:
            self.errors[self._error] += data

    def rows(self, name: str, fields) -> list[tuple]:
        indices = sorted({int(k.split("-")[-2]) for k in self.inputs if k.startswith(name + "-")})
        return [tuple(self.inputs.get(f"{name}-{i}-{f}") for f in fields) for i in indices]


def _followup_ready(official):
    c = factories.consultation(official, state="closed")
    return reload(c)


def test_adding_a_step_shows_one_more_empty_row_with_everything_typed_kept_and_saves_nothing(
        client, login, official):
    c = _followup_ready(official)
    login(official)
    url = f"/consultations/{c.id}/followup"
    page = Page(client.get(url).get_data(as_text=True))
    assert page.rows("next_steps", ("date", "text")) == [("", "")]  # one empty row to start with
    resp = client.post(url, data={"action": "save", "f-heard": "Ce que nous avons entendu",
                                  "next_steps-0-date": "2030-09-01", "next_steps-0-text": "Début des travaux",
                                  "add_row": "next_steps"})
    assert resp.status_code == 200
    page = Page(resp.get_data(as_text=True))
    assert page.rows("next_steps", ("date", "text")) == [("2030-09-01", "Début des travaux"), ("", "")]
    assert "Step 1" in page.legends and "Step 2" in page.legends
    assert "Ce que nous avons entendu" in resp.get_data(as_text=True)
    assert count_rows(FollowupStep) == 0 and reload(c).heard_md == ""


def test_removing_a_step_drops_that_row_only(client, login, official):
    c = _followup_ready(official)
    login(official)
    resp = client.post(f"/consultations/{c.id}/followup", data={
        "action": "save", "f-heard": "x",
        "next_steps-0-date": "2030-09-01", "next_steps-0-text": "Un",
        "next_steps-1-date": "2030-10-01", "next_steps-1-text": "Deux",
        "next_steps-2-date": "2030-11-01", "next_steps-2-text": "Trois",
        "remove_row": "next_steps-1"})
    assert resp.status_code == 200
    page = Page(resp.get_data(as_text=True))
    assert page.rows("next_steps", ("date", "text")) == [("2030-09-01", "Un"), ("2030-11-01", "Trois")]
    assert "Step 3" not in page.legends
    assert count_rows(FollowupStep) == 0


def test_an_invalid_date_in_row_2_is_shown_next_to_that_field_and_every_row_is_kept(client, login, official):
    c = _followup_ready(official)
    login(official)
    resp = client.post(f"/consultations/{c.id}/followup", data={
        "action": "save", "f-heard": "x",
        "next_steps-0-date": "2030-09-01", "next_steps-0-text": "Un",
        "next_steps-1-date": "31/02/2031", "next_steps-1-text": "Deux",
        "next_steps-2-date": "2030-11-01", "next_steps-2-text": "Trois"})
    assert resp.status_code == 422
    page = Page(resp.get_data(as_text=True))
    assert page.rows("next_steps", ("date", "text")) == [
        ("2030-09-01", "Un"), ("31/02/2031", "Deux"), ("2030-11-01", "Trois")]
    assert "This is not a date" in page.errors["next_steps-1-date-error"]
    assert "next_steps-1-date-error" in page.described["next_steps-1-date"]
    assert not any(k.startswith(("next_steps-0", "next_steps-2")) for k in page.errors)
    assert 'href="#next_steps-1-date"' in resp.get_data(as_text=True)  # the summary links to the field
    assert count_rows(FollowupStep) == 0


def test_a_step_without_text_is_refused_next_to_its_text(client, login, official):
    c = _followup_ready(official)
    login(official)
    resp = client.post(f"/consultations/{c.id}/followup", data={
        "action": "save", "f-heard": "x", "next_steps-0-date": "", "next_steps-0-text": "",
        "next_steps-1-date": "2030-09-01", "next_steps-1-text": " "})
    assert resp.status_code == 422
    assert "Say what happens on this date." in Page(resp.get_data(as_text=True)).errors["next_steps-1-text-error"]


def test_saved_steps_show_on_the_public_page_by_date_and_come_back_in_the_editor(client, login, official, run_jobs):
    c = _followup_ready(official)
    run_jobs()  # the results (computed by a job under Redis) come before the follow-up
    login(official)
    url = f"/consultations/{c.id}/followup"
    assert client.post(url, data={
        "action": "save", "f-heard": "Vous voulez le dimanche.",
        "next_steps-0-date": "2031-01-15", "next_steps-0-text": "Bilan",
        "next_steps-1-date": "", "next_steps-1-text": "",  # an empty row is skipped
        "next_steps-2-date": "01/09/2030", "next_steps-2-text": "Ouverture le dimanche"}).status_code == 302
    page = Page(client.get(url).get_data(as_text=True))
    assert page.rows("next_steps", ("date", "text")) == [("2030-09-01", "Ouverture le dimanche"),
                                                         ("2031-01-15", "Bilan")]
    services.add_decision(official, reload(c), title="Ouverture le dimanche")
    services.publish_followup(official, reload(c))
    db.session.commit()
    html = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert html.index("Ouverture le dimanche</li>") < html.index("Bilan</li>")


def test_no_more_than_30_steps(client, login, official):
    c = _followup_ready(official)
    login(official)
    url = f"/consultations/{c.id}/followup"
    full = {"action": "save", "f-heard": "x"}
    for i in range(30):
        full[f"next_steps-{i}-date"] = (date(2030, 1, 1) + timedelta(days=i)).isoformat()
        full[f"next_steps-{i}-text"] = f"Étape {i}"
    resp = client.post(url, data={**full, "add_row": "next_steps"})
    assert resp.status_code == 422
    page = Page(resp.get_data(as_text=True))
    assert len(page.rows("next_steps", ("date", "text"))) == 30
    assert "Give at most 30 steps." in page.errors["next_steps-add-error"]
    too_many = {**full, "next_steps-30-date": "2031-01-01", "next_steps-30-text": "Une de trop"}
    resp = client.post(url, data=too_many)
    assert resp.status_code == 422 and "Give at most 30 steps." in resp.get_data(as_text=True)
    assert count_rows(FollowupStep) == 0
    assert client.post(url, data=full).status_code == 302
    assert count_rows(FollowupStep) == 30


def _details(**more) -> dict:
    return {"title": "Berges de la Garonne", "eligibility": "confirmed_email", "opens_on": today().isoformat(),
            "closes_on": (today() + timedelta(days=10)).isoformat(),
            "results_due_on": (today() + timedelta(days=30)).isoformat(), **more}


def test_documents_are_added_and_removed_without_saving_then_saved_and_linked_on_the_page(client, login, official):
    login(official)
    typed = _details(**{"documents-0-title": "Étude", "documents-0-url": "https://example.org/etude.pdf"})
    resp = client.post("/consultations/new", data={**typed, "add_row": "documents"})
    assert resp.status_code == 200  # the title is kept, no "required" message: nothing was checked or saved
    page = Page(resp.get_data(as_text=True))
    assert page.rows("documents", ("title", "url")) == [("Étude", "https://example.org/etude.pdf"), ("", "")]
    assert page.inputs["title"] == "Berges de la Garonne" and not page.errors
    assert "Document 2" in page.legends
    assert count_rows(Consultation) == 0
    two = {**typed, "documents-1-title": "Plan", "documents-1-url": "http://example.org/plan.pdf"}
    page = Page(client.post("/consultations/new", data={**two, "remove_row": "documents-0"}).get_data(as_text=True))
    assert page.rows("documents", ("title", "url")) == [("Plan", "http://example.org/plan.pdf")]
    assert client.post("/consultations/new", data=two).status_code == 302
    c = db.session.scalar(sa.select(Consultation))
    assert c.documents == [{"title": "Étude", "url": "https://example.org/etude.pdf"},
                           {"title": "Plan", "url": "http://example.org/plan.pdf"}]
    edit = Page(client.get(f"/consultations/{c.id}/edit").get_data(as_text=True))
    assert edit.rows("documents", ("title", "url")) == [("Étude", "https://example.org/etude.pdf"),
                                                        ("Plan", "http://example.org/plan.pdf")]
    services.add_question(official, reload(c), kind="scale", prompt="D'accord ?")
    services.publish_consultation(official, reload(c))
    db.session.commit()
    html = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert '<a href="https://example.org/etude.pdf" rel="nofollow noopener">Étude</a>' in html


def test_a_document_address_must_be_http_or_https(client, login, official):
    login(official)
    for bad in ("javascript:alert(1)", "ftp://example.org/a.pdf", "https://", "example.org/a.pdf"):
        resp = client.post("/consultations/new", data=_details(**{
            "documents-0-title": "Bon", "documents-0-url": "https://example.org/ok.pdf",
            "documents-1-title": "Mauvais", "documents-1-url": bad}))
        assert resp.status_code == 422, bad
        page = Page(resp.get_data(as_text=True))
        assert "Enter an address starting with https://" in page.errors["documents-1-url-error"]
        assert page.rows("documents", ("title", "url"))[1] == ("Mauvais", bad)
    assert count_rows(Consultation) == 0


def test_stored_documents_and_steps_still_display(client, login, official):
    """Rows stored before the editors (a document without a title key) still show."""
    c = factories.consultation(official, state="open")
    c.documents = [{"title": "Ancien document", "url": "https://example.org/old.pdf"}, {"url": "https://example.org/x"}]
    db.session.commit()
    login(official)
    html = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "Ancien document" in html and ">https://example.org/x</a>" in html
    assert services.documents_rows(reload(c))[1] == {"title": "", "url": "https://example.org/x"}
