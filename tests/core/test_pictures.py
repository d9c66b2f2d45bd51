"""Pictures (civic/core/pictures.py): WebP variants made once at upload with
their sizes and a few KB each, staged uploads carried by a signed token,
served with long cache headers, pending ones only to their uploader, purged
after a day, and unlinked from an erased account."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from civic.core import pictures
from civic.core.errors import ValidationError
from civic.core.time import utcnow
from civic.extensions import db
from tests.helpers import photo_bytes


def test_upload_makes_webp_variants_with_their_sizes_under_budget(factory):
    user = factory.user()
    pic = pictures.make(user, photo_bytes((2400, 1600)))
    db.session.commit()
    for variant, (max_w, max_h, _budget) in pictures.VARIANTS.items():
        data = getattr(pic, f"{variant}_data")
        img = Image.open(io.BytesIO(data))
        assert img.format == "WEBP"
        assert pic.size(variant) == img.size
        assert img.width <= max_w and img.height <= max_h
    assert pic.card_width == 480 and pic.card_height == 320  # the ratio is kept
    assert pic.thumb_width == 160
    assert len(pic.card_data) < 15 * 1024
    assert len(pic.thumb_data) < 5 * 1024
    assert len(pic.web_data) <= 200 * 1024


def test_the_budgets_hold_for_a_picture_that_does_not_compress(factory):
    # Noise is the worst case: the encoder lowers the quality, then the size.
    out = io.BytesIO()
    Image.merge("RGB", [Image.effect_noise((3000, 2000), 90) for _ in range(3)]).save(out, "JPEG", quality=90)
    pic = pictures.make(factory.user(), out.getvalue())
    assert len(pic.web_data) <= 200 * 1024 and len(pic.card_data) < 15 * 1024 and len(pic.thumb_data) < 5 * 1024
    assert pic.card_width == 480  # the card fits by quality alone


def test_exif_orientation_is_applied_and_metadata_dropped(factory):
    img = Image.new("RGB", (600, 300), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    pic = pictures.make(factory.user(), out.getvalue())
    web = Image.open(io.BytesIO(pic.web_data))
    assert web.size == (300, 600)
    assert not web.getexif()


@pytest.mark.parametrize("raw", [b"", b"not an image at all", b"%PDF-1.4 fake"])
def test_a_file_that_is_not_an_image_is_refused_on_the_field(factory, raw):
    with pytest.raises(ValidationError) as err:
        pictures.make(factory.user(), raw)
    assert "image" in err.value.fields


def test_a_file_over_the_size_limit_is_refused(factory, monkeypatch):
    monkeypatch.setattr(pictures, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ValidationError) as err:
        pictures.make(factory.user(), photo_bytes((400, 300)))
    assert "MB" in err.value.fields["image"]


def test_token_brings_back_the_pending_picture_only_for_its_uploader(factory):
    author, other = factory.user(), factory.user()
    pic = pictures.make(author, photo_bytes((800, 600)))
    token = pictures.token_for(pic)
    assert pictures.pending_from_token(author, token) is pic
    assert pictures.pending_from_token(other, token) is None
    assert pictures.pending_from_token(author, token + "x") is None
    pictures.apply(pictures.PictureInput(pending=pic, alt="Une place"), "process", 1)
    assert pictures.pending_from_token(author, token) is None  # attached: no longer pending


def test_alt_text_is_required_to_attach(factory):
    pic = pictures.make(factory.user(), photo_bytes((800, 600)))
    with pytest.raises(ValidationError) as err:
        pictures.apply(pictures.PictureInput(pending=pic, alt="  "), "process", 1)
    assert "image_alt" in err.value.fields
    # The database refuses it too.
    pic.owner_kind, pic.owner_id = "process", 1
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_replacing_deletes_the_old_picture_and_removing_leaves_none(factory):
    user = factory.user()
    first = pictures.apply(pictures.PictureInput(pending=pictures.make(user, photo_bytes((800, 600))), alt="A"),
                           "process", 7)
    first_id = first.id
    second = pictures.apply(pictures.PictureInput(pending=pictures.make(user, photo_bytes((900, 600))), alt="B"),
                            "process", 7)
    db.session.commit()
    assert db.session.get(pictures.Picture, first_id) is None
    assert pictures.for_owner("process", 7).id == second.id
    pictures.apply(pictures.PictureInput(alt="B", remove=True), "process", 7)
    assert pictures.for_owner("process", 7) is None


def test_pending_picture_is_served_to_its_uploader_only_and_never_cached(client, login, factory):
    author = factory.user()
    pic = pictures.make(author, photo_bytes((800, 600)))
    db.session.commit()
    assert client.get(f"/pictures/{pic.id}/thumb.webp").status_code == 404
    login(factory.user())
    assert client.get(f"/pictures/{pic.id}/thumb.webp").status_code == 404
    login(author)
    resp = client.get(f"/pictures/{pic.id}/thumb.webp")
    assert resp.status_code == 200 and resp.mimetype == "image/webp"
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/pictures/{pic.id}/huge.webp").status_code == 404
    assert client.get("/pictures/999999/thumb.webp").status_code == 404


def test_old_pending_pictures_are_purged(factory):
    user = factory.user()
    old = pictures.make(user, photo_bytes((400, 300)))
    old.created_at = utcnow() - timedelta(hours=pictures.PENDING_HOURS + 1)
    fresh = pictures.make(user, photo_bytes((400, 300)))
    kept = pictures.apply(pictures.PictureInput(pending=pictures.make(user, photo_bytes((400, 300))), alt="Ok"),
                          "process", 3)
    kept.created_at = old.created_at
    db.session.commit()
    old_id, fresh_id = old.id, fresh.id
    assert pictures.purge_pending() == 1
    assert db.session.get(pictures.Picture, old_id) is None
    assert db.session.get(pictures.Picture, fresh_id) is not None
    assert pictures.for_owner("process", 3) is not None


def test_erasure_keeps_item_pictures_without_the_uploader_and_drops_pending_ones(factory):
    user = factory.user()
    attached = pictures.apply(pictures.PictureInput(pending=pictures.make(user, photo_bytes((400, 300))),
                                                    alt="Ok"), "process", 4)
    pending = pictures.make(user, photo_bytes((400, 300)))
    db.session.commit()
    pending_id = pending.id
    pictures.erase_uploader(user)
    db.session.commit()
    db.session.refresh(attached)
    assert attached.uploaded_by_id is None and attached.owner_id == 4
    assert db.session.get(pictures.Picture, pending_id) is None


def test_ballot_shows_pictures_for_every_project_or_none(factory):
    user = factory.user()
    for i in range(1, pictures.BALLOT_PICTURES + 2):
        pictures.apply(pictures.PictureInput(pending=pictures.make(user, photo_bytes((300, 200))), alt=f"P{i}"),
                       "project", i)
    ids = list(range(1, pictures.BALLOT_PICTURES + 1))
    assert set(pictures.for_ballot("project", ids)) == set(ids)
    assert pictures.for_ballot("project", ids + [pictures.BALLOT_PICTURES + 1]) == {}
    assert len(pictures.for_owners("project", ids, limit=pictures.LIST_PICTURES)) == pictures.LIST_PICTURES


def test_the_migration_brings_the_images_stored_before_over(tmp_path):
    """Processes' and projects' images from before become pictures on upgrade
    (an image without alt text gets its item's title), on a database of
    their own."""
    from flask_migrate import upgrade

    from civic import create_app
    from tests.conftest import _config

    app = create_app({**_config(tmp_path, f"sqlite:///{tmp_path / 'legacy.db'}"), "SHARED_CACHE": False})
    raw = photo_bytes((1200, 900))
    with app.app_context():
        upgrade(revision="b0e1ec7a0001")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO process (id, title, summary, description, description_html, image_data, image_alt,"
                " image_version, categories, threshold_type, requires_verification, answer_delay_days,"
                " participation_open, last_phase_entered, created_at)"
                " VALUES (1, 'Plan vélo', 'Résumé', '', '', :raw, 'Des vélos', 1, '[]', 'none', 0, 90, 0, 0,"
                " '2026-01-01')"), {"raw": raw})
        upgrade()
        row = db.session.execute(sa.text(
            "SELECT owner_kind, owner_id, alt, card_width, length(thumb_data) FROM picture")).one()
        assert tuple(row[:4]) == ("process", 1, "Des vélos", 480) and row[4] < 5 * 1024
