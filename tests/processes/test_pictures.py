"""Pictures of processes and proposals: uploaded with required alt text on
the admin's process form and the resident's proposal form (kept through the
similar-proposals step), shown on cards and pages with their size and lazy
loading, and not served for a hidden proposal."""

import io
import re

import sqlalchemy as sa

from civic.core import pictures
from civic.extensions import db
from civic.processes.models import Process, Proposal
from tests.helpers import photo_bytes


def _html(resp):
    return resp.get_data(as_text=True)


def _img_tags(html, alt):
    return [t for t in re.findall(r"<img [^>]*>", html) if f'alt="{alt}"' in t]


def _assert_lazy_img(html, alt, pic, variant):
    tags = _img_tags(html, alt)
    assert tags, f"no <img> with alt {alt!r}"
    tag = tags[0]
    w, h = pic.size(variant)
    assert f'width="{w}"' in tag and f'height="{h}"' in tag
    assert 'loading="lazy"' in tag and 'decoding="async"' in tag
    assert f"/pictures/{pic.id}/{variant}.webp" in tag


def test_admin_creates_a_process_with_a_picture_shown_on_its_card_and_page(client, login, admin):
    login(admin)
    data = {"title": "Plan vélo 2028", "summary": "Des pistes pour tous", "description": "", "district_id": "",
            "threshold_type": "none", "answer_delay_days": "90"}
    # Without alt text: 422, message next to the field, the other fields kept, the file staged.
    resp = client.post("/processes/new", data={**data, "image": (io.BytesIO(photo_bytes()), "velo.jpg")},
                       content_type="multipart/form-data")
    html = _html(resp)
    assert resp.status_code == 422
    assert "Describe the image for people who cannot see it." in html
    assert 'value="Plan vélo 2028"' in html and 'aria-describedby="image_alt-hint image_alt-error"' in html
    token = re.search(r'name="image_token" type="hidden" value="([^"]+)"', html).group(1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Process)) == 0
    # Sent again with the alt text only: the staged file is used.
    resp = client.post("/processes/new", data={**data, "image_token": token, "image_alt": "Des cyclistes au pont"})
    assert resp.status_code == 302, _html(resp)
    process = db.session.scalar(sa.select(Process))
    pic = pictures.for_owner("process", process.id)
    assert pic.alt == "Des cyclistes au pont"
    process.published_at = process.created_at
    db.session.commit()
    _assert_lazy_img(_html(client.get(f"/processes/{process.id}")), "Des cyclistes au pont", pic, "card")
    _assert_lazy_img(_html(client.get("/processes/")), "Des cyclistes au pont", pic, "thumb")
    resp = client.get(f"/pictures/{pic.id}/thumb.webp")
    assert resp.status_code == 200 and resp.mimetype == "image/webp"
    assert resp.headers["Cache-Control"] == pictures.CACHE_PUBLIC and resp.headers["ETag"]
    again = client.get(f"/pictures/{pic.id}/thumb.webp", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


def test_a_non_image_file_is_refused_with_a_clear_message_and_the_input_kept(client, login, admin):
    login(admin)
    resp = client.post("/processes/new", data={
        "title": "Plan arbres", "summary": "Planter", "threshold_type": "none", "answer_delay_days": "90",
        "image": (io.BytesIO(b"MZ\x90\x00 not a picture"), "photo.jpg"), "image_alt": "Des arbres"},
        content_type="multipart/form-data")
    html = _html(resp)
    assert resp.status_code == 422
    assert "This file is not an image we can read" in html and 'value="Plan arbres"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(pictures.Picture)) == 0


def test_admin_replaces_then_removes_the_picture_of_a_process(client, login, admin, make_process):
    process = make_process()
    login(admin)
    form = {"title": process.title, "summary": process.summary, "threshold_type": "none",
            "answer_delay_days": "90", "district_id": ""}
    resp = client.post(f"/processes/{process.id}/settings", data={
        **form, "image": (io.BytesIO(photo_bytes()), "a.jpg"), "image_alt": "Première"},
        content_type="multipart/form-data")
    assert resp.status_code == 302, _html(resp)
    first = pictures.for_owner("process", process.id)
    edit = _html(client.get(f"/processes/{process.id}/settings"))
    assert 'value="Première"' in edit and "Remove the current image" in edit
    resp = client.post(f"/processes/{process.id}/settings", data={
        **form, "image": (io.BytesIO(photo_bytes((1000, 1000))), "b.jpg"), "image_alt": "Seconde"},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    second = pictures.for_owner("process", process.id)
    assert second.id != first.id and second.alt == "Seconde" and second.card_width == 360
    resp = client.post(f"/processes/{process.id}/settings", data={**form, "remove_image": "y"})
    assert resp.status_code == 302
    assert pictures.for_owner("process", process.id) is None
    assert "<img" not in _html(client.get(f"/processes/{process.id}")).split("</h1>", 1)[1].split("<h2", 1)[0]


def test_the_picture_survives_the_similar_proposals_step(client, login, factory, make_process, make_proposal):
    process = make_process()
    make_proposal(process, title="Piste cyclable boulevard Carnot",
                  body="Une piste cyclable séparée sur le boulevard Carnot, des deux côtés.")
    author = factory.user()
    login(author)
    data = {"title": "Sécuriser les vélos boulevard Carnot", "district_id": "",
            "body": "Le boulevard Carnot est dangereux à vélo : il faut une piste séparée.",
            "image_alt": "Le carrefour Carnot aux heures de pointe"}
    first = client.post(f"/processes/{process.id}/proposals/new",
                        data={**data, "image": (io.BytesIO(photo_bytes()), "carnot.jpg")},
                        content_type="multipart/form-data")
    html = _html(first)
    assert first.status_code == 200 and "Similar proposals already exist" in html
    assert 'enctype="multipart/form-data"' in html and "Your image is kept" in html
    token = re.search(r'name="image_token" type="hidden" value="([^"]+)"', html).group(1)
    # The second submission carries no file, only the token in the hidden field.
    resp = client.post(f"/processes/{process.id}/proposals/new",
                       data={**data, "similar_seen": "1", "image_token": token})
    assert resp.status_code == 302, _html(resp)
    proposal = db.session.scalar(sa.select(Proposal).order_by(Proposal.id.desc()))
    pic = pictures.for_owner("proposal", proposal.id)
    assert pic is not None and pic.alt == "Le carrefour Carnot aux heures de pointe"
    assert pic.uploaded_by_id == author.id
    _assert_lazy_img(_html(client.get(f"/proposals/{proposal.id}")), pic.alt, pic, "card")
    _assert_lazy_img(_html(client.get(f"/processes/{process.id}/proposals")), pic.alt, pic, "thumb")
    # Someone else cannot reuse the token for their own proposal.
    login(factory.user())
    resp = client.post(f"/processes/{process.id}/proposals/new", data={
        "title": "Des arceaux rue Alsace", "district_id": "", "similar_seen": "1", "image_token": token,
        "body": "Des arceaux pour garer les vélos tout le long de la rue d'Alsace.", "image_alt": "Volé"})
    assert resp.status_code == 302
    stolen = db.session.scalar(sa.select(Proposal).order_by(Proposal.id.desc()))
    assert pictures.for_owner("proposal", stolen.id) is None


def test_a_hidden_proposal_s_picture_is_not_served(client, login, factory, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    pic = pictures.apply(pictures.PictureInput(pending=pictures.make(proposal.author, photo_bytes()),
                                               alt="Un banc"), "proposal", proposal.id)
    db.session.commit()
    assert client.get(f"/pictures/{pic.id}/card.webp").status_code == 200
    proposal.hidden = True
    db.session.commit()
    for variant in ("web", "card", "thumb"):
        assert client.get(f"/pictures/{pic.id}/{variant}.webp").status_code == 404
    assert _img_tags(_html(client.get(f"/processes/{process.id}/proposals")), "Un banc") == []


def test_a_list_shows_pictures_on_its_first_cards_only(client, factory, make_process, make_proposal):
    process = make_process()
    user = factory.user()
    for i in range(pictures.LIST_PICTURES + 3):
        p = make_proposal(process, title=f"Proposition numéro {i} pour le quartier")
        pictures.apply(pictures.PictureInput(pending=pictures.make(user, photo_bytes((400, 300))), alt=f"Image {i}"),
                       "proposal", p.id)
    db.session.commit()
    html = _html(client.get(f"/processes/{process.id}/proposals"))
    assert len(re.findall(r'<img [^>]*loading="lazy"', html)) == pictures.LIST_PICTURES


def test_the_author_adds_then_removes_a_picture_when_editing(client, login, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    login(proposal.author)
    data = {"title": proposal.title, "body": proposal.body, "district_id": ""}
    resp = client.post(f"/proposals/{proposal.id}/edit", data={
        **data, "image": (io.BytesIO(photo_bytes()), "p.jpg"), "image_alt": "Un arceau"},
        content_type="multipart/form-data")
    assert resp.status_code == 302, _html(resp)
    pic = pictures.for_owner("proposal", proposal.id)
    assert pic.alt == "Un arceau"
    form = _html(client.get(f"/proposals/{proposal.id}/edit"))
    assert 'value="Un arceau"' in form and f"/pictures/{pic.id}/thumb.webp" in form
    resp = client.post(f"/proposals/{proposal.id}/edit", data={**data, "image_alt": "Un arceau", "remove_image": "y"})
    assert resp.status_code == 302
    assert pictures.for_owner("proposal", proposal.id) is None
    assert _img_tags(_html(client.get(f"/proposals/{proposal.id}")), "Un arceau") == []
