"""Uploaded images made fit for light pages: checked, rotated upright,
re-encoded as JPEG under a size budget (200 KB by default). Re-encoding also
drops metadata such as EXIF GPS positions, and anything that is not an image."""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import gettext as _

from civic.core.errors import ValidationError

# Request bodies are capped by MAX_CONTENT_LENGTH (config.py); pixels are
# capped here, before decoding.
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


@dataclass
class WebImage:
    data: bytes
    content_type: str
    width: int
    height: int


def open_upright(raw: bytes, *, field: str = "image"):
    """The upload decoded as an upright RGB Pillow image, without its metadata
    (EXIF, GPS): checked for size and format first. Raises ValidationError on
    ``field``. Shared by :func:`web_image` and :mod:`civic.core.pictures`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not raw:
        raise ValidationError(fields={field: _("This file is not an image we can read (use JPEG, PNG or WebP).")})
    try:
        img = Image.open(io.BytesIO(raw))
        if img.width * img.height > MAX_PIXELS:
            raise ValidationError(fields={field: _("This image is too large. Use one under 40 megapixels.")})
        if img.format not in FORMATS:
            raise ValidationError(fields={field: _("Use a JPEG, PNG or WebP image.")})
        img.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(fields={field: _("This file is not an image we can read (use JPEG, PNG or WebP).")}) from None
    return ImageOps.exif_transpose(img).convert("RGB")


def web_image(raw: bytes, *, max_bytes: int = 200 * 1024, max_side: int = 1600, field: str = "image") -> WebImage:
    """Resize and re-encode an upload until it fits ``max_bytes``: lower the
    JPEG quality first, then the size. Raises ValidationError on ``field``."""
    img = open_upright(raw, field=field)
    img.thumbnail((max_side, max_side))
    while True:
        for quality in (82, 70, 60, 50):
            out = io.BytesIO()
            img.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
            if out.tell() <= max_bytes:
                return WebImage(out.getvalue(), "image/jpeg", img.width, img.height)
        if min(img.width, img.height) < 64:
            raise ValidationError(fields={field: _("This image cannot be made small enough.")})
        img.thumbnail((int(img.width * 0.75), int(img.height * 0.75)))
