"""A strict SVG sanitiser for logos: parse without DTD or entities
(defusedxml), keep an allow-list of drawing elements and presentation
attributes, refuse what could run code or reach another site.

Refused outright (the admin is told why): a DOCTYPE or entity, ``script``,
``foreignObject``, event handlers (``on*``), links outside the document
(``href`` / ``xlink:href`` not starting with ``#``), ``url()`` pointing
anywhere but ``#id``, ``javascript:`` or ``data:`` values. Dropped quietly:
elements and attributes outside the allow-list (editor metadata, ``style``),
comments and processing instructions. The output is re-serialised from the
tree, so nothing of the upload passes through unparsed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405  (only to build and write the cleaned tree)

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
MAX_BYTES = 50 * 1024

ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
    "title", "desc", "defs", "linearGradient", "radialGradient", "stop", "use", "clipPath", "symbol",
}
# Refused rather than dropped: their presence means the file was made to do something.
DANGEROUS = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener", "animate",
             "animateTransform", "animateMotion", "set", "image", "a", "style", "feImage"}
ATTRIBUTES = {
    "id", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "d", "points", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "opacity", "transform",
    "clip-rule", "clip-path", "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform",
    "spreadMethod", "fx", "fy", "font-family", "font-size", "font-weight", "font-style", "text-anchor",
    "dominant-baseline", "letter-spacing", "preserveAspectRatio", "version", "role", "aria-label",
    "aria-hidden", "focusable", "href",
}
_LOCAL_URL = re.compile(r"^\s*url\(\s*#[A-Za-z_][\w.-]*\s*\)\s*$")
_BAD_VALUE = re.compile(r"(javascript|vbscript|data)\s*:|expression\s*\(|@import", re.I)


class UnsafeSvg(ValueError):
    """The file is not an SVG we accept; the message says why, in English
    (the service translates the reason codes below)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _local(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        ns, _sep, name = tag[1:].partition("}")
        return ns, name
    return None, tag


def _check_value(name: str, value: str) -> str:
    if _BAD_VALUE.search(value):
        raise UnsafeSvg("script", name)
    if "url(" in value.lower() and not _LOCAL_URL.match(value):
        raise UnsafeSvg("external", name)
    return value


def sanitize_svg(raw: bytes) -> tuple[bytes, float, float]:
    """The cleaned SVG and its intrinsic width and height (from ``viewBox``,
    else ``width``/``height``). Raises :class:`UnsafeSvg`."""
    if len(raw) > MAX_BYTES:
        raise UnsafeSvg("too_large")
    if re.search(rb"<!(DOCTYPE|ENTITY)", raw, re.I):
        raise UnsafeSvg("doctype")
    try:
        root = safe_fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UnsafeSvg("doctype") from None
    except (ParseError, ValueError, SyntaxError):
        raise UnsafeSvg("not_svg") from None
    if _local(root.tag) != (SVG, "svg"):
        raise UnsafeSvg("not_svg")
    _clean(root)
    width, height = _size(root)
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False), width, height


def _clean(el) -> None:
    for name, value in list(el.attrib.items()):
        ns, local = _local(name)
        if local.lower().startswith("on"):
            raise UnsafeSvg("handler", local)
        if local == "href" and ns in (None, XLINK):
            if not value.strip().startswith("#"):
                raise UnsafeSvg("external", local)
            continue
        if ns is not None or local not in ATTRIBUTES:
            del el.attrib[name]  # style, class, editor attributes: harmless once gone
            continue
        _check_value(local, value)
    for child in list(el):
        if not isinstance(child.tag, str):  # comments, processing instructions
            el.remove(child)
            continue
        ns, local = _local(child.tag)
        if local in DANGEROUS:
            raise UnsafeSvg("script" if local in ("script", "handler", "listener") else "element", local)
        if ns != SVG or local not in ELEMENTS:
            el.remove(child)
            continue
        _clean(child)


def _number(value: str | None) -> float | None:
    m = re.match(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$", value or "")
    return float(m.group(1)) if m else None


def _size(root) -> tuple[float, float]:
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        try:
            w, h = float(box[2]), float(box[3])
            if w > 0 and h > 0:
                return w, h
        except ValueError:
            pass
    w, h = _number(root.get("width")), _number(root.get("height"))
    if w and h:
        return w, h
    raise UnsafeSvg("no_size")
