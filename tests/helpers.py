"""Helpers every domain's tests share: count SQL statements, count and reload
rows, log a test client in. (Browser helpers are on ``Site`` in
``tests/browser/conftest.py``; factories are in ``tests/factories.py``.)"""

from __future__ import annotations

import sqlalchemy as sa

from civic.extensions import db
from tests.factories import PASSWORD


def capture_statements(fn):
    """Run ``fn()`` and return ``(its result, the SQL statements it ran)``."""
    statements = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return result, statements


def count_queries(fn):
    """Run ``fn()`` and return ``(its result, the number of SQL statements it ran)``:
    list pages assert that the count does not grow with the number of rows."""
    result, statements = capture_statements(fn)
    return result, len(statements)


def count_rows(model, *where) -> int:
    """How many rows of ``model`` match ``where`` (all rows without it)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def reload(obj):
    """``obj`` read again from the database (what another request would see)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def login(client, user_or_email, password: str = PASSWORD, remember: bool = False):
    """Log ``client`` in through the login form (a User or an address)."""
    address = getattr(user_or_email, "email", user_or_email)
    resp = client.post("/account/login", data={"email": address, "password": password,
                                               "remember": "y" if remember else ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp


def photo_bytes(size=(2000, 1500), fmt="JPEG") -> bytes:
    """A photo-like upload, as a camera JPEG: a sky gradient, shapes, and
    detail at every scale (noise at several sizes, as foliage and facades
    have), so that it compresses like a photo and not like a flat drawing:
    what the picture budgets are tuned and tested for."""
    import io

    from PIL import Image, ImageChops, ImageDraw

    w, h = size
    base = Image.linear_gradient("L").resize(size)
    img = Image.merge("RGB", [base.point(lambda v: 90 + v // 3), base.point(lambda v: 140 + v // 4),
                              base.point(lambda v: 200 + v // 5)])
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, h * 2 // 3, w, h), fill=(70, 120, 60))
    draw.ellipse((w // 5, h // 2, w // 2, h * 5 // 6), fill=(160, 150, 140))
    draw.rectangle((w * 3 // 5, h // 3, w * 4 // 5, h * 5 // 6), fill=(180, 90, 60))
    texture = Image.new("L", size, 128)
    for k in (64, 16, 4, 1):
        layer = Image.effect_noise((max(w // k, 1), max(h // k, 1)), 50).resize(size, Image.BICUBIC)
        texture = ImageChops.add(texture, layer, scale=2.0, offset=-64)
    img = ImageChops.overlay(img, Image.merge("RGB", [texture] * 3))
    out = io.BytesIO()
    img.save(out, fmt, quality=90)
    return out.getvalue()
