"""The only place where user text becomes HTML.

Plain fields (titles, names) go through :func:`clean_text` and are escaped by
templates. Long texts are a Markdown subset: :func:`render_markdown` converts
with python-Markdown, then bleach keeps an allow-list and rewrites links with
``rel="nofollow ugc noopener"``. Only fields produced here may use ``|safe``.
"""

import re
import unicodedata

import bleach
import markdown
from bleach.linkifier import DEFAULT_CALLBACKS
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code", "pre", "h2", "h3", "h4",
}
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Normalise a plain text field: NFC, no control or bidi-override characters,
    trimmed; single-line fields have their whitespace collapsed."""
    if value is None:
        return ""
    value = unicodedata.normalize("NFC", str(value))
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    if multiline:
        value = re.sub(r"[ \t]+\n", "\n", value)
        value = re.sub(r"\n{3,}", "\n\n", value)
        return value.strip()
    return re.sub(r"\s+", " ", value).strip()


def _link_rel(attrs, new=False):
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if href.startswith(("http:", "https:", "mailto:")) or href.startswith("//"):
        attrs[(None, "rel")] = "nofollow ugc noopener"
    return attrs


_md = markdown.Markdown(extensions=["sane_lists"], output_format="html")


def render_markdown(text: str | None) -> str:
    """Markdown subset to safe HTML (a ``str`` to store; wrap in Markup to show)."""
    text = clean_text(text, multiline=True)
    if not text:
        return ""
    # Headings are demoted to h2..h4: the page's h1 belongs to the page.
    text = re.sub(r"^#(?=\s)", "##", text, flags=re.M)
    _md.reset()
    html = _md.convert(text)
    html = bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True)
    return bleach.linkify(html, callbacks=[*DEFAULT_CALLBACKS, _link_rel], skip_tags={"pre", "code"})


def markup(html: str | None) -> Markup:
    """Mark HTML that came out of :func:`render_markdown` as safe for templates."""
    return Markup(html or "")
