"""The only writers of the site's identity, pages and accessibility
statement. Each service checks ``can_manage_site`` first, validates, stores
user text through ``civic.core.sanitize`` and records the change in the
audit log; the caller commits."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _

from civic.core import audit, images, sanitize
from civic.core.errors import NotFound, ValidationError
from civic.core.permissions import require
from civic.core.time import utcnow
from civic.extensions import db
from civic.site import colours, permissions, svg
from civic.site.models import (
    ALT_MAX,
    LINK_LABEL_MAX,
    NAME_MAX,
    PAGE_MAX,
    SINGLETON,
    URL_MAX,
    AccessibilityStatement,
    Conformance,
    PageSlug,
    PageVersion,
    SiteIdentity,
)

LOGO_MAX_BYTES = 40 * 1024
LOGO_MAX_SIDE = 400
LOGO_HEIGHT = 48  # the header shows the logo at this height (CSS pixels)
FOOTER_LINKS_MAX = 5


def current_identity() -> SiteIdentity | None:
    return db.session.get(SiteIdentity, SINGLETON)


def current_page(slug: PageSlug) -> PageVersion | None:
    return db.session.scalars(sa.select(PageVersion).where(PageVersion.slug == slug)
                              .order_by(PageVersion.id.desc()).limit(1)).first()


def page_history(slug: PageSlug) -> list[PageVersion]:
    return list(db.session.scalars(sa.select(PageVersion).where(PageVersion.slug == slug)
                                   .order_by(PageVersion.id.desc())))


def current_statement() -> AccessibilityStatement | None:
    return db.session.get(AccessibilityStatement, SINGLETON)


def _svg_reason(err: svg.UnsafeSvg) -> str:
    messages = {
        "too_large": _("This SVG file is too large (50 KB at most)."),
        "doctype": _("This SVG file declares a DOCTYPE or entities, which are refused."),
        "not_svg": _("This file is not an SVG image we can read."),
        "script": _("This SVG file contains a script or an event handler (%(what)s), which are refused.",
                    what=err.detail),
        "handler": _("This SVG file contains a script or an event handler (%(what)s), which are refused.",
                     what=err.detail),
        "external": _("This SVG file refers to another file or site (%(what)s), which is refused.", what=err.detail),
        "element": _("This SVG file contains an element that is refused (%(what)s).", what=err.detail),
        "no_size": _("This SVG file has no viewBox nor width and height."),
    }
    return messages.get(err.reason, messages["not_svg"])


def _is_svg(raw: bytes) -> bool:
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--") \
        or head.startswith(b"<!doctype")


def _flatten(raw: bytes) -> bytes:
    """A logo with transparency put on white before ``web_image`` re-encodes
    it as JPEG (which has no alpha: transparent parts would turn black)."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(raw))
        if img.width * img.height > images.MAX_PIXELS or img.mode not in ("RGBA", "LA", "P"):
            return raw
        img = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return raw  # web_image gives the message
    flat = Image.new("RGB", img.size, "#ffffff")
    flat.paste(img, mask=img.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, "PNG")
    return out.getvalue()


def _logo(raw: bytes) -> tuple[bytes, str, int, int]:
    if _is_svg(raw):
        try:
            data, w, h = svg.sanitize_svg(raw)
        except svg.UnsafeSvg as err:
            raise ValidationError(fields={"logo": _svg_reason(err)}) from None
        return data, "image/svg+xml", max(1, round(LOGO_HEIGHT * w / h)), LOGO_HEIGHT
    img = images.web_image(_flatten(raw), max_bytes=LOGO_MAX_BYTES, max_side=LOGO_MAX_SIDE, field="logo")
    return img.data, img.content_type, max(1, round(LOGO_HEIGHT * img.width / img.height)), LOGO_HEIGHT


def _url_ok(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url) > 8 or (url.startswith("/") and
                                                                         not url.startswith("//"))


def update_identity(actor, *, site_name: str, territory_name: str, logo_alt: str, accent: str,
                    footer_links: list, logo: bytes | None = None, remove_logo: bool = False) -> SiteIdentity:
    """Change the site's name, territory, logo, accent colour and footer links.

    ``footer_links`` is a list of ``(label, url)``; empty rows are ignored.
    The accent colour is refused below WCAG AA (4.5:1) against white and the
    header's light grey: buttons put white text on it, links put it on the
    page."""
    require(permissions.can_manage_site(actor))
    errors = {}
    name = sanitize.clean_text(site_name)[:NAME_MAX + 1]
    if not name:
        errors["site_name"] = _("Enter the site's name.")
    elif len(name) > NAME_MAX:
        errors["site_name"] = _("Use at most %(n)s characters.", n=NAME_MAX)
    territory = sanitize.clean_text(territory_name)
    if len(territory) > NAME_MAX:
        errors["territory_name"] = _("Use at most %(n)s characters.", n=NAME_MAX)
    alt = sanitize.clean_text(logo_alt)
    if len(alt) > ALT_MAX:
        errors["logo_alt"] = _("Use at most %(n)s characters.", n=ALT_MAX)
    colour = None
    if (accent or "").strip():
        colour = colours.normalise(accent)
        if colour is None:
            errors["accent"] = _("Enter a colour as # and six hexadecimal digits, for example #8a1538.")
        else:
            ratio = colours.worst_contrast(colour)
            if ratio < colours.AA_NORMAL:
                errors["accent"] = _(
                    "This colour has a contrast ratio of %(ratio)s:1 with white text on it or with the "
                    "page's light backgrounds behind links: WCAG AA needs at least 4.5:1. Choose a darker "
                    "colour.", ratio=format_decimal(ratio, format="0.00"))
    links = []
    for i, (label, url) in enumerate(list(footer_links)[:FOOTER_LINKS_MAX]):
        label, url = sanitize.clean_text(label), sanitize.clean_text(url)
        if not label and not url:
            continue
        if not label or len(label) > LINK_LABEL_MAX:
            errors[f"link_label_{i}"] = _("Enter a label of at most %(n)s characters.", n=LINK_LABEL_MAX)
        if not _url_ok(url) or len(url) > URL_MAX:
            errors[f"link_url_{i}"] = _("Enter an address starting with https:// or a path starting with /.")
        links.append({"label": label, "url": url})
    identity = current_identity()
    new_logo = None
    if logo:
        try:
            new_logo = _logo(logo)
        except ValidationError as err:
            errors.update(err.fields or {})
    has_logo = new_logo is not None or (identity is not None and identity.logo is not None and not remove_logo)
    if has_logo and not alt:
        errors["logo_alt"] = _("Describe the logo for people who cannot see it (for example “Logo of the city”).")
    if errors:
        raise ValidationError(fields=errors)
    if identity is None:
        identity = SiteIdentity(id=SINGLETON)
        db.session.add(identity)
    changed = []
    if new_logo is not None:
        identity.logo, identity.logo_type, identity.logo_width, identity.logo_height = new_logo
        identity.logo_hash = hashlib.sha256(new_logo[0]).hexdigest()[:16]
        changed.append("logo")
    elif remove_logo and identity.logo is not None:
        identity.logo = identity.logo_type = identity.logo_hash = None
        identity.logo_width = identity.logo_height = None
        changed.append("logo")
    for attr, value in (("site_name", name), ("territory_name", territory), ("logo_alt", alt), ("accent", colour),
                        ("footer_links", links)):
        if getattr(identity, attr, None) != value:
            setattr(identity, attr, value)
            changed.append(attr)
    identity.updated_at = utcnow()
    identity.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "site.identity_changed", "site_identity", identity.id, changed=changed,
                 site_name=name, accent=colour, logo_hash=identity.logo_hash)
    return identity


def save_page(actor, slug, body: str) -> PageVersion:
    """Publish a new version of an editable page (Markdown, sanitised)."""
    require(permissions.can_manage_site(actor))
    slug = _slug(slug)
    text = sanitize.clean_text(body, multiline=True)
    if len(text) > PAGE_MAX:
        raise ValidationError(fields={"body": _("Use at most %(n)s characters.", n=PAGE_MAX)})
    if not text and slug != PageSlug.PRIVACY:
        raise ValidationError(fields={"body": _("Write the page's text.")})
    version = PageVersion(slug=slug, body=text, body_html=sanitize.render_markdown(text),
                          author_id=getattr(actor, "id", None))
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "site.page_saved", "site_page_version", version.id, slug=slug.value)
    return version


def restore_page(actor, slug, version_id: int) -> PageVersion:
    """Publish an older version again, as a new version (history is never rewritten)."""
    require(permissions.can_manage_site(actor))
    slug = _slug(slug)
    old = db.session.get(PageVersion, version_id)
    if old is None or old.slug != slug:
        raise NotFound()
    version = PageVersion(slug=slug, body=old.body, body_html=sanitize.render_markdown(old.body),
                          author_id=getattr(actor, "id", None), restored_from_id=old.id)
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "site.page_restored", "site_page_version", version.id, slug=slug.value,
                 restored_from=old.id)
    return version


def _slug(slug) -> PageSlug:
    try:
        return PageSlug(slug)
    except ValueError:
        raise NotFound() from None


STATEMENT_TEXTS = ("pages_audited", "non_conformities", "derogations", "not_subject", "technologies", "tools",
                   "environment")


def save_statement(actor, *, entity_name: str, site_url: str, status: str, rate, audit_date: date | None,
                   audited_by: str, established_on: date | None, contact_email: str, contact_postal: str,
                   contact_form_url: str, **lists: str) -> AccessibilityStatement:
    """Publish or update the accessibility statement (RGAA model). The rate
    of criteria met must agree with the status: 100 % for full conformance,
    50 % or more for partial, less than 50 % (or no audit) for none."""
    require(permissions.can_manage_site(actor))
    errors = {}
    entity = sanitize.clean_text(entity_name)
    if not entity or len(entity) > 200:
        errors["entity_name"] = _("Enter the name of the public body (at most 200 characters).")
    url = sanitize.clean_text(site_url)
    if url and (not url.startswith(("https://", "http://")) or len(url) > URL_MAX):
        errors["site_url"] = _("Enter an address starting with https://.")
    try:
        conformance = Conformance(status)
    except ValueError:
        conformance = None
        errors["status"] = _("Choose the conformance status.")
    value = None
    if rate not in (None, ""):
        try:
            value = float(str(rate).replace(",", "."))
        except ValueError:
            value = -1.0
        if not 0 <= value <= 100:
            errors["rate"] = _("Enter a percentage between 0 and 100.")
            value = None
    auditor = sanitize.clean_text(audited_by)
    if conformance is not None and "rate" not in errors:
        if conformance != Conformance.NONE and value is None:
            errors["rate"] = _("Enter the rate of RGAA criteria met, from the audit.")
        elif conformance == Conformance.FULL and value != 100:
            errors["rate"] = _("A fully conformant site meets %(n)s %% of the criteria.", n=100)
        elif conformance == Conformance.PARTIAL and value is not None and not 50 <= value < 100:
            errors["rate"] = _("A partially conformant site meets at least %(low)s %% and less than %(high)s %% of the "
                               "criteria.", low=50, high=100)
        elif conformance == Conformance.NONE and value is not None and value >= 50:
            errors["rate"] = _("A site meeting %(n)s %% of the criteria or more is partially conformant.", n=50)
    if value is not None:
        if audit_date is None:
            errors["audit_date"] = _("Enter the date of the audit.")
        if not auditor:
            errors["audited_by"] = _("Say who carried out the audit.")
    if established_on is None:
        errors["established_on"] = _("Enter the date this statement was established or updated.")
    email = sanitize.clean_text(contact_email)
    if email and ("@" not in email or len(email) > 200):
        errors["contact_email"] = _("Enter an email address like name@example.org.")
    postal = sanitize.clean_text(contact_postal, multiline=True)
    form_url = sanitize.clean_text(contact_form_url)
    if form_url and not _url_ok(form_url):
        errors["contact_form_url"] = _("Enter an address starting with https:// or a path starting with /.")
    if not (email or postal or form_url):
        errors["contact_email"] = _("Give at least one way to contact you: an email, a postal address or a form.")
    texts = {}
    for key in STATEMENT_TEXTS:
        text = sanitize.clean_text(lists.get(key, ""), multiline=True)
        if len(text) > 20_000:
            errors[key] = _("Use at most %(n)s characters.", n=20_000)
        texts[key] = "\n".join(AccessibilityStatement.lines(text))
    if errors:
        raise ValidationError(fields=errors)
    statement = current_statement()
    if statement is None:
        statement = AccessibilityStatement(id=SINGLETON)
        db.session.add(statement)
    statement.entity_name, statement.site_url, statement.status, statement.rate = entity, url, conformance, value
    statement.audit_date, statement.audited_by, statement.established_on = audit_date, auditor, established_on
    statement.contact_email, statement.contact_postal, statement.contact_form_url = email, postal, form_url
    for key, text in texts.items():
        setattr(statement, key, text)
    statement.updated_at = utcnow()
    statement.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "site.accessibility_saved", "site_accessibility", statement.id,
                 status=conformance.value, rate=value)
    return statement
