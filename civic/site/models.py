"""The site's identity (one row), its editable pages (every version kept)
and its accessibility statement (one row, absent until an admin fills it)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db

SINGLETON = 1
NAME_MAX = 80
ALT_MAX = 200
LINK_LABEL_MAX = 60
URL_MAX = 500
PAGE_MAX = 40_000


class PageSlug(enum.StrEnum):
    LEGAL = "legal-notice"
    TERMS = "terms"
    PRIVACY = "privacy"


class Conformance(enum.StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class SiteIdentity(db.Model):
    """What a city changes to make the site its own. Who changed it and when
    is in the audit log (``site.identity_changed``)."""

    __tablename__ = "site_identity"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    territory_name: Mapped[str] = mapped_column(sa.String(NAME_MAX), default="")
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    logo_type: Mapped[str | None] = mapped_column(sa.String(40))
    # The first characters of the logo's SHA-256: its ETag and its URL's version.
    logo_hash: Mapped[str | None] = mapped_column(sa.String(16))
    logo_width: Mapped[int | None] = mapped_column(sa.Integer)
    logo_height: Mapped[int | None] = mapped_column(sa.Integer)
    logo_alt: Mapped[str] = mapped_column(sa.String(ALT_MAX), default="")
    accent: Mapped[str | None] = mapped_column(sa.String(7))
    # [{"label": ..., "url": ...}, ...] in the order shown in the footer.
    footer_links: Mapped[list | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    updated_by = relationship("User", foreign_keys=[updated_by_id])


class PageVersion(db.Model):
    """One version of an editable page; the newest of a slug is the page.
    A restore adds a new version copying an older one (``restored_from_id``)."""

    __tablename__ = "site_page_version"
    __table_args__ = (sa.Index("ix_site_page_version_slug_id", "slug", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[PageSlug] = mapped_column(enum_column(PageSlug))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    restored_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site_page_version.id", ondelete="SET NULL"))

    author = relationship("User", foreign_keys=[author_id], lazy="joined")


class AccessibilityStatement(db.Model):
    """The RGAA model statement. Lists are stored one item per line, as the
    admin typed them; the page shows them as lists."""

    __tablename__ = "site_accessibility"
    __table_args__ = (sa.CheckConstraint("rate IS NULL OR (rate >= 0 AND rate <= 100)", name="rate_percent"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_name: Mapped[str] = mapped_column(sa.String(200))
    site_url: Mapped[str] = mapped_column(sa.String(URL_MAX), default="")
    status: Mapped[Conformance] = mapped_column(enum_column(Conformance))
    rate: Mapped[float | None] = mapped_column(sa.Float)
    # No audit yet is honest too: "non conforme", without a rate.
    audit_date: Mapped[date | None] = mapped_column(sa.Date)
    audited_by: Mapped[str] = mapped_column(sa.String(200), default="")
    pages_audited: Mapped[str] = mapped_column(sa.Text, default="")
    non_conformities: Mapped[str] = mapped_column(sa.Text, default="")
    derogations: Mapped[str] = mapped_column(sa.Text, default="")
    not_subject: Mapped[str] = mapped_column(sa.Text, default="")
    technologies: Mapped[str] = mapped_column(sa.Text, default="")
    tools: Mapped[str] = mapped_column(sa.Text, default="")
    environment: Mapped[str] = mapped_column(sa.Text, default="")
    contact_email: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_postal: Mapped[str] = mapped_column(sa.Text, default="")
    contact_form_url: Mapped[str] = mapped_column(sa.String(URL_MAX), default="")
    established_on: Mapped[date] = mapped_column(sa.Date)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    @staticmethod
    def lines(text: str | None) -> list[str]:
        return [line.strip() for line in (text or "").splitlines() if line.strip()]
