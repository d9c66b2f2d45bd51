"""WCAG 2.x contrast of an accent colour, without the database."""

from __future__ import annotations

import re

HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
WHITE = "#ffffff"
# The light backgrounds the accent colour is written on (civic.css: --bg, --soft of the header and flashes).
BACKGROUNDS = ("#ffffff", "#f3f5f8")
AA_NORMAL = 4.5


def normalise(value: str) -> str | None:
    """``#rrggbb`` in lower case, or None when it is not a hex colour."""
    m = HEX.match((value or "").strip())
    if not m:
        return None
    digits = m.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    h = normalise(hex_colour)
    r, g, b = (int(h[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio, from 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def darker(hex_colour: str, factor: float = 0.75) -> str:
    """The hover shade: each channel scaled down (darker keeps the contrast)."""
    h = normalise(hex_colour)
    return "#" + "".join(f"{int(int(h[i:i + 2], 16) * factor):02x}" for i in (1, 3, 5))


def worst_contrast(accent: str) -> float:
    """The lowest ratio of the accent against white text on it and the light
    backgrounds it colours links on: the one WCAG AA must hold for."""
    return min(contrast(accent, WHITE), *(contrast(accent, bg) for bg in BACKGROUNDS))
