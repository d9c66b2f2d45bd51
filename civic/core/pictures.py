"""Pictures of processes, proposals and budget projects (and of any kind to come).

An upload becomes one :class:`Picture` row holding three WebP variants made
once, at upload, from the checked, upright, metadata-free image of
:func:`civic.core.images.open_upright`:

- ``web``: the whole picture, at most 1600 px a side, under 200 KB, linked
  from the item's page for who wants it larger;
- ``card``: 480 px wide at most, shown on the item's own page;
- ``thumb``: 160 px wide at most, a few KB, on list cards and in the ballot.

Owner: ``(owner_kind, owner_id)`` — a kind of the registry in
:mod:`civic.core.content` and the object's id — rather than one foreign key
per domain: core may not know the domain tables (tests/core/test_layout.py),
a new kind gets pictures without a migration, and visibility is asked of the
kind's own ``can_view`` like comments and follows do. The price is no
cascade: a domain that deletes rows calls :func:`remove`. At most one picture
per owner (unique constraint); replacing one deletes the old row, so a
picture's URL never changes content and is cached for a year.

A picture with no owner yet is *pending*: uploaded with a form that was shown
again (invalid field, or the similar-proposals step) and carried in the form
by a signed token (:func:`token_for`), so the resident does not choose the
file twice. Pending pictures are seen only by their uploader and purged
after a day.

Pages: every variant is one request. Lists show pictures on their first
:data:`LIST_PICTURES` cards only, and a ballot shows them for every project
or, beyond :data:`BALLOT_PICTURES` projects, for none (see
:func:`for_ballot`). ``data:`` URIs were considered (the CSP allows them) but
twenty inlined thumbnails would outweigh the 60 KB page budget on their own.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Mapped, deferred, mapped_column
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length, Optional

from civic.core import content
from civic.core.errors import NotFound, RateLimited, ValidationError
from civic.core.images import open_upright
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.extensions import db

# (name, max width, max height, byte budget): the encoder lowers the quality,
# then the size, until the variant fits.
VARIANTS = {
    "web": (1600, 1600, 200 * 1024),
    "card": (480, 360, 14 * 1024),
    "thumb": (160, 120, 4 * 1024),
}
QUALITIES = (75, 60, 48, 38)
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
PENDING_HOURS = 24
UPLOADS_PER_HOUR = 40  # each upload is decoded and encoded three times: bounded per person
LIST_PICTURES = 4
BALLOT_PICTURES = 6
CACHE_PUBLIC = "public, max-age=31536000, immutable"


class Picture(db.Model):
    """One uploaded picture and its variants. Bytes are deferred: lists load
    only ids, alt texts and sizes."""

    __tablename__ = "picture"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str | None] = mapped_column(sa.String(40))
    owner_id: Mapped[int | None] = mapped_column(sa.Integer)
    alt: Mapped[str] = mapped_column(sa.String(200), default="")
    web_data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    web_width: Mapped[int] = mapped_column(sa.Integer)
    web_height: Mapped[int] = mapped_column(sa.Integer)
    card_data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    card_width: Mapped[int] = mapped_column(sa.Integer)
    card_height: Mapped[int] = mapped_column(sa.Integer)
    thumb_data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    thumb_width: Mapped[int] = mapped_column(sa.Integer)
    thumb_height: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)

    __table_args__ = (
        sa.UniqueConstraint("owner_kind", "owner_id"),
        sa.CheckConstraint("(owner_kind IS NULL) = (owner_id IS NULL)", name="owner"),
        # Alt text is required once the picture is shown anywhere.
        sa.CheckConstraint("owner_kind IS NULL OR alt <> ''", name="alt"),
    )

    def size(self, variant: str) -> tuple[int, int]:
        return getattr(self, f"{variant}_width"), getattr(self, f"{variant}_height")


@dataclass
class PictureInput:
    """What a form says about an item's picture: a staged upload (its pending
    picture), the alt text, or removal of the current one."""

    pending: Picture | None = None
    alt: str = ""
    remove: bool = False


# --- encoding ------------------------------------------------------------------------

def _encode(img, max_w: int, max_h: int, budget: int) -> tuple[bytes, int, int]:
    img = img.copy()
    img.thumbnail((max_w, max_h))
    while True:
        for quality in QUALITIES:
            out = io.BytesIO()
            # method 4: a third of method 6's time for a few % more bytes; the
            # resident waits for the upload.
            img.save(out, "WEBP", quality=quality, method=4)
            if out.tell() <= budget:
                return out.getvalue(), img.width, img.height
            if out.tell() > 3 * budget:
                break  # far over: lower qualities will not do, make it smaller
        if min(img.width, img.height) < 32:
            return out.getvalue(), img.width, img.height
        factor = max(0.5, min(0.85, (budget / out.tell()) ** 0.5))
        img.thumbnail((int(img.width * factor), int(img.height * factor)))


def make(actor, raw: bytes, *, field: str = "image") -> Picture:
    """Check an upload and store it as a pending picture with its WebP
    variants. Raises ValidationError on ``field`` for a file too big or not
    an image."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationError(fields={field: _("This file is over %(size)s MB. Choose a smaller image.",
                                               size=MAX_UPLOAD_BYTES // (1024 * 1024))})
    img = open_upright(raw, field=field)
    values = {}
    for name, (w, h, budget) in VARIANTS.items():
        data, width, height = _encode(img, w, h, budget)
        values.update({f"{name}_data": data, f"{name}_width": width, f"{name}_height": height})
    pic = Picture(uploaded_by_id=getattr(actor, "id", None), alt="", **values)
    db.session.add(pic)
    db.session.flush()
    return pic


# --- demo illustrations -------------------------------------------------------------

MOTIFS = ("bike", "tree", "fountain", "bench", "garden", "square")


def illustration(motif: str, *, sky=(142, 202, 230), ground=(110, 170, 90), accent=(214, 80, 60)) -> bytes:
    """A flat-colour drawing (sky, ground, sun and a motif) as PNG bytes, for
    the demo data: pictures made on the spot, nothing downloaded."""
    from PIL import Image, ImageDraw

    w, h = 1200, 800
    img = Image.new("RGB", (w, h), sky)
    d = ImageDraw.Draw(img)
    d.ellipse((930, 70, 1090, 230), fill=(250, 210, 80))
    d.rectangle((0, 560, w, h), fill=ground)
    dark = (60, 60, 70)
    if motif == "bike":
        for cx in (420, 780):
            d.ellipse((cx - 130, 430, cx + 130, 690), outline=dark, width=18)
        d.line((420, 560, 560, 400, 720, 400, 780, 560, 600, 560, 420, 560), fill=accent, width=20, joint="curve")
        d.line((560, 400, 540, 350, 600, 350), fill=dark, width=14)
        d.line((720, 400, 700, 330, 760, 320), fill=dark, width=14)
    elif motif == "tree":
        for x in (300, 650, 950):
            d.rectangle((x - 25, 420, x + 25, 620), fill=(120, 80, 50))
            d.ellipse((x - 150, 200, x + 150, 480), fill=(50, 130, 70))
    elif motif == "fountain":
        d.rectangle((560, 300, 640, 600), fill=(170, 170, 180))
        d.ellipse((400, 540, 800, 640), fill=(90, 150, 210))
        for dx in (-120, -60, 60, 120):
            d.arc((600 + dx - 80, 230, 600 + dx + 80, 560), 200 if dx < 0 else 270, 270 if dx < 0 else 340,
                  fill=(60, 130, 220), width=12)
    elif motif == "bench":
        d.rectangle((300, 430, 900, 470), fill=accent)
        d.rectangle((300, 500, 900, 540), fill=accent)
        for x in (340, 840):
            d.rectangle((x, 540, x + 30, 640), fill=dark)
        d.polygon([(250, 300), (950, 300), (900, 360), (300, 360)], fill=(240, 240, 230))
    elif motif == "garden":
        for i, x in enumerate(range(150, 1100, 190)):
            d.rectangle((x, 520, x + 150, 640), fill=(120, 80, 50))
            colour = accent if i % 2 else (240, 190, 60)
            for dx in (30, 75, 120):
                d.line((x + dx, 520, x + dx, 450), fill=(50, 130, 70), width=8)
                d.ellipse((x + dx - 18, 420, x + dx + 18, 456), fill=colour)
    else:  # square: a paved place with a kiosk
        d.rectangle((0, 560, w, h), fill=(200, 190, 170))
        d.polygon([(450, 330), (600, 220), (750, 330)], fill=accent)
        d.rectangle((480, 330, 720, 560), fill=(245, 235, 210))
        d.rectangle((560, 420, 640, 560), fill=dark)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def demo_picture(actor, kind: str, owner_id: int, motif: str, alt: str, **colours) -> Picture:
    """Demo data: give an item an :func:`illustration` through the real upload path."""
    return apply(PictureInput(pending=make(actor, illustration(motif, **colours)), alt=alt), kind, owner_id)


# --- tokens for pending pictures ----------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="civic-picture")


def token_for(pic: Picture) -> str:
    return _serializer().dumps({"p": pic.id, "u": pic.uploaded_by_id})


def pending_from_token(actor, token: str | None) -> Picture | None:
    """The pending picture a form carries, if the token is genuine, recent,
    the actor's own and the picture still unattached; else None."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=PENDING_HOURS * 3600)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != getattr(actor, "id", None):
        return None
    pic = db.session.get(Picture, data.get("p")) if isinstance(data.get("p"), int) else None
    if pic is None or pic.owner_kind is not None:
        return None
    return pic


# --- forms ----------------------------------------------------------------------------

class PictureFields:
    """Mixed into a domain's FlaskForm (with ``enctype="multipart/form-data"``
    on its ``<form>``); :func:`from_form` reads it."""

    image = FileField(_l("Image"), description=_l("JPEG, PNG or WebP, up to 8 MB."))
    image_alt = StringField(_l("Describe the image in a few words"), validators=[Optional(), Length(max=200)],
                            description=_l("Required with an image: read aloud to people who cannot see it."))
    image_token = HiddenField()
    remove_image = BooleanField(_l("Remove the current image"))
    image_pending = None  # set by from_form: the staged picture, shown on the form


def from_form(form, actor) -> PictureInput:
    """Stage the form's upload (or take back the one staged before) as a
    pending picture, and put its token in the form: if the page is shown
    again the file is not lost. Raises ValidationError on ``image``."""
    upload = form.image.data
    raw = upload.read() if upload is not None and getattr(upload, "filename", "") else None
    if raw is not None:
        from civic.core import security

        security.require_within(f"picture-upload:{getattr(actor, 'id', None)}", UPLOADS_PER_HOUR, 3600,
                                _("You have sent many images in the last hour. Try again later."))
    pending = make(actor, raw) if raw is not None else pending_from_token(actor, form.image_token.data)
    form.image_token.data = token_for(pending) if pending is not None else ""
    form.image_pending = pending
    return PictureInput(pending=pending, alt=form.image_alt.data or "", remove=bool(form.remove_image.data))


def stage(form, actor) -> PictureInput | None:
    """:func:`from_form` for views: a bad file puts its message next to the
    field and returns None (the caller shows the form again, 422); the
    staged picture is committed so that it survives that page."""
    from civic.core.forms import apply_errors

    try:
        value = from_form(form, actor)
    except (ValidationError, RateLimited) as err:
        db.session.rollback()
        apply_errors(form, err)
        form.image_token.data = ""
        form.error_status = err.status
        return None
    db.session.commit()
    return value


# --- attaching -------------------------------------------------------------------------

def for_owner(kind: str, owner_id: int | None) -> Picture | None:
    if owner_id is None:
        return None
    return db.session.scalar(sa.select(Picture).where(Picture.owner_kind == kind, Picture.owner_id == owner_id))


def for_owners(kind: str, ids, *, limit: int | None = None) -> dict[int, Picture]:
    """Pictures of many items in one query (no bytes), keyed by owner id;
    with ``limit``, only those of the first ``limit`` ids in the given order."""
    ids = [i for i in ids if i is not None]
    if limit is not None:
        ids = ids[:limit]
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Picture).where(Picture.owner_kind == kind, Picture.owner_id.in_(ids)))
    return {p.owner_id: p for p in rows}


def for_ballot(kind: str, ids) -> dict[int, Picture]:
    """Every project of a ballot with its picture, or none of them beyond
    :data:`BALLOT_PICTURES` projects: a ballot must treat every project alike,
    so it never shows pictures for the first few only."""
    ids = list(ids)
    return for_owners(kind, ids) if len(ids) <= BALLOT_PICTURES else {}


def check(value: PictureInput | None, kind: str, owner_id: int | None) -> dict[str, str]:
    """Field errors of a picture input for the item's own validation: alt
    text is required whenever the item will have a picture."""
    if value is None:
        return {}
    current = for_owner(kind, owner_id) if value.pending is None and not value.remove else None
    if (value.pending is not None or current is not None) and not clean_text(value.alt):
        return {"image_alt": _("Describe the image for people who cannot see it.")}
    return {}


def apply(value: PictureInput | None, kind: str, owner_id: int) -> Picture | None:
    """Give the item its new picture (replacing the old one), remove it, or
    update the alt text. The caller checked permissions and :func:`check`."""
    if value is None:
        return for_owner(kind, owner_id)
    errors = check(value, kind, owner_id)
    if errors:
        raise ValidationError(fields=errors)
    current = for_owner(kind, owner_id)
    alt = clean_text(value.alt)[:200]
    if value.pending is not None:
        if current is not None:
            db.session.delete(current)
            db.session.flush()
        value.pending.owner_kind, value.pending.owner_id, value.pending.alt = kind, owner_id, alt
        db.session.flush()
        return value.pending
    if value.remove:
        remove(kind, owner_id)
        return None
    if current is not None:
        current.alt = alt
        db.session.flush()
    return current


def remove(kind: str, owner_id: int) -> None:
    """Delete an item's picture (an item deleted, or its picture removed)."""
    db.session.execute(sa.delete(Picture).where(Picture.owner_kind == kind, Picture.owner_id == owner_id))
    db.session.flush()


def purge_pending() -> int:
    """Periodic: delete pending pictures older than a day (forms abandoned)."""
    cutoff = utcnow() - timedelta(hours=PENDING_HOURS)
    result = db.session.execute(sa.delete(Picture).where(Picture.owner_kind.is_(None), Picture.created_at < cutoff))
    db.session.commit()
    return result.rowcount or 0


def erase_uploader(user) -> None:
    """Account erasure: pictures of items stay with their item (which stays,
    shown as from a deleted account) but lose the link to the person; their
    pending uploads go."""
    db.session.execute(sa.delete(Picture).where(Picture.owner_kind.is_(None), Picture.uploaded_by_id == user.id))
    db.session.execute(sa.update(Picture).where(Picture.uploaded_by_id == user.id).values(uploaded_by_id=None)
                       .execution_options(synchronize_session=False))


# --- serving ---------------------------------------------------------------------------

bp = Blueprint("pictures", __name__)


@bp.get("/pictures/<int:picture_id>/<variant>.webp")
def serve(picture_id: int, variant: str):
    """A variant, if the visitor may see the item it illustrates (404 for a
    hidden or unpublished item's picture, as for the item itself)."""
    if variant not in VARIANTS:
        raise NotFound()
    pic = db.session.get(Picture, picture_id)
    if pic is None:
        raise NotFound()
    if pic.owner_kind is None:
        if not current_user.is_authenticated or current_user.id != pic.uploaded_by_id:
            raise NotFound()
        public = False
    else:
        kind, obj = content.load(pic.owner_kind, pic.owner_id, current_user)
        from civic.extensions import login_manager

        public = kind.can_view(login_manager.anonymous_user(), obj)
    etag = f"picture-{pic.id}-{variant}"
    cache = CACHE_PUBLIC if public else "private, no-store"
    if request.if_none_match and etag in request.if_none_match:
        resp = Response(status=304)
    else:
        resp = Response(getattr(pic, f"{variant}_data"), mimetype="image/webp")
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = cache
    return resp


def url(pic: Picture, variant: str = "thumb") -> str:
    from flask import url_for

    return url_for("pictures.serve", picture_id=pic.id, variant=variant)


def init_app(app) -> None:
    app.register_blueprint(bp)
    # Templates ask for pictures themselves, so that views only pass items:
    # one query per page for a list (pictures_for), one for an item's page.
    app.jinja_env.globals.update(picture_url=url, picture_of=for_owner, ballot_pictures=for_ballot,
                                 pictures_for=lambda kind, items: for_owners(
                                     kind, [getattr(i, "id", i) for i in items], limit=LIST_PICTURES))
    from civic.core.jobs import register_periodic

    register_periodic("pictures.purge", purge_pending, 3600)
