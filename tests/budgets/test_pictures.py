"""Pictures of budget projects: required alt text at submission (the other
fields kept), the picture on the list card, the project page and the ballot
(every project alike), replaced or removed by its author until voting opens,
and not served for a hidden project."""

import io
import re

import sqlalchemy as sa

from civic.budgets.models import Project
from civic.core import pictures
from civic.extensions import db
from tests.helpers import photo_bytes


def _html(resp):
    return resp.get_data(as_text=True)


def _img(html, alt):
    tags = [t for t in re.findall(r"<img [^>]*>", html) if f'alt="{alt}"' in t]
    return tags[0] if tags else None


def _attach(project, user, alt):
    pic = pictures.apply(pictures.PictureInput(pending=pictures.make(user, photo_bytes((1200, 800))), alt=alt),
                         "project", project.id)
    db.session.commit()
    return pic


def test_submission_needs_alt_text_and_keeps_the_file_and_fields(client, login, budget):
    b = budget.make("approval", phase="submission")
    author = budget.voter()
    login(author)
    data = {"title": "Un kiosque à musique", "description": "Pour les concerts du dimanche.",
            "envelope_id": str(b.envelope.id), "location": "Square Vivier", "estimated_cost": "45000"}
    resp = client.post(f"/budgets/{b.edition.id}/projects/new",
                       data={**data, "image": (io.BytesIO(photo_bytes()), "kiosque.jpg")},
                       content_type="multipart/form-data")
    html = _html(resp)
    assert resp.status_code == 422
    assert "Describe the image for people who cannot see it." in html
    assert 'value="Un kiosque à musique"' in html and 'value="Square Vivier"' in html
    assert "Your image is kept" in html
    token = re.search(r'name="image_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post(f"/budgets/{b.edition.id}/projects/new",
                       data={**data, "image_token": token, "image_alt": "Un kiosque sous les platanes"})
    assert resp.status_code == 302, _html(resp)
    project = db.session.scalar(sa.select(Project).where(Project.title == "Un kiosque à musique"))
    pic = pictures.for_owner("project", project.id)
    assert pic.alt == "Un kiosque sous les platanes" and len(pic.thumb_data) < 5 * 1024
    tag = _img(_html(client.get(f"/budgets/projects/{project.id}")), pic.alt)
    assert f'width="{pic.card_width}"' in tag and f'height="{pic.card_height}"' in tag and 'loading="lazy"' in tag


def test_a_bad_file_is_refused_next_to_the_field(client, login, budget):
    b = budget.make("approval", phase="submission")
    login(budget.voter())
    resp = client.post(f"/budgets/{b.edition.id}/projects/new", data={
        "title": "Un kiosque", "description": "Pour les concerts.", "envelope_id": str(b.envelope.id),
        "estimated_cost": "45000", "image": (io.BytesIO(b"GIF89a broken"), "k.gif"), "image_alt": "Kiosque"},
        content_type="multipart/form-data")
    html = _html(resp)
    assert resp.status_code == 422 and "This file is not an image we can read" in html
    assert 'id="image-error"' in html and 'value="Un kiosque"' in html


def test_pictures_on_the_list_card_and_in_the_ballot(client, login, budget):
    b = budget.make("approval", max_choices=2)
    bancs, arbres = b.projects[:2]
    pb = _attach(bancs, budget.official, "Des bancs sous les arbres")
    pa = _attach(arbres, budget.official, "Une allée de platanes")
    listing = _html(client.get(f"/budgets/{b.edition.id}/projects"))
    tag = _img(listing, "Des bancs sous les arbres")
    assert tag and f'width="{pb.thumb_width}"' in tag and 'loading="lazy"' in tag and 'decoding="async"' in tag
    login(budget.voter())
    ballot = _html(client.get(f"/budgets/{b.edition.id}/vote/{b.envelope.id}"))
    for pic in (pb, pa):
        tag = _img(ballot, pic.alt)
        assert tag and f"/pictures/{pic.id}/thumb.webp" in tag
        assert f'width="{pic.thumb_width}"' in tag and f'height="{pic.thumb_height}"' in tag
        assert 'loading="lazy"' in tag
    # Projects without a picture get no placeholder.
    assert ballot.count("<img ") == 2


def test_author_replaces_and_removes_the_picture_until_voting_opens(client, login, budget):
    b = budget.make("approval", phase="submission")
    author = budget.voter()
    from tests.budgets import factories

    project = factories.project(b.edition, b.envelope, "Un potager", 20_000, author=author)
    login(author)
    page = _html(client.get(f"/budgets/projects/{project.id}"))
    assert "Add an image" in page
    resp = client.post(f"/budgets/projects/{project.id}/picture", data={
        "image": (io.BytesIO(photo_bytes()), "p.jpg"), "image_alt": "Des bacs de légumes"},
        content_type="multipart/form-data")
    assert resp.status_code == 302, _html(resp)
    first = pictures.for_owner("project", project.id)
    resp = client.post(f"/budgets/projects/{project.id}/picture", data={"image_alt": "Des bacs de tomates"})
    assert resp.status_code == 302
    db.session.refresh(first)
    assert first.alt == "Des bacs de tomates"
    resp = client.post(f"/budgets/projects/{project.id}/picture", data={"image_alt": "", "remove_image": "y"})
    assert resp.status_code == 302
    assert pictures.for_owner("project", project.id) is None
    login(budget.voter())
    assert client.get(f"/budgets/projects/{project.id}/picture").status_code == 403


def test_a_hidden_project_s_picture_is_not_served(client, budget):
    b = budget.make("approval")
    pic = _attach(b.projects[0], budget.official, "Des bancs")
    assert client.get(f"/pictures/{pic.id}/thumb.webp").status_code == 200
    from civic.budgets import services

    services.set_project_hidden(b.projects[0], True)
    db.session.commit()
    assert client.get(f"/pictures/{pic.id}/thumb.webp").status_code == 404
    assert client.get(f"/pictures/{pic.id}/web.webp").status_code == 404


def test_uploads_are_limited_per_person_and_hour(client, login, budget, monkeypatch):
    monkeypatch.setattr(pictures, "UPLOADS_PER_HOUR", 1)
    b = budget.make("approval", phase="submission")
    login(budget.voter())
    data = {"title": "Un kiosque", "description": "", "envelope_id": str(b.envelope.id), "estimated_cost": "1"}
    first = client.post(f"/budgets/{b.edition.id}/projects/new",
                        data={**data, "image": (io.BytesIO(photo_bytes((400, 300))), "a.jpg")},
                        content_type="multipart/form-data")
    assert first.status_code == 422  # the description is missing; the image was accepted
    second = client.post(f"/budgets/{b.edition.id}/projects/new",
                         data={**data, "image": (io.BytesIO(photo_bytes((400, 300))), "b.jpg")},
                         content_type="multipart/form-data")
    assert second.status_code == 429 and "many images" in _html(second)
    assert 'value="Un kiosque"' in _html(second)


def test_the_picture_cannot_change_once_voting_has_opened(client, login, budget):
    b = budget.make("approval")  # voting
    login(budget.official)
    resp = client.get(f"/budgets/projects/{b.projects[0].id}/picture")
    assert resp.status_code == 409
    assert "Add an image" not in _html(client.get(f"/budgets/projects/{b.projects[0].id}"))
