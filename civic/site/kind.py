"""The one declaration of the site module: its public pages and admin
forms, the page chrome it gives ``base.html`` (name, logo, stylesheet,
footer links, the accessibility status), the privacy page's additions and
its part of the demo. It owns no content kind."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_request_context, url_for

from civic.extensions import db
from civic.site import (
    demo,  # noqa: F401  (registers its demo loader at import)
    permissions,
    services,
    views,
)
from civic.site.forms import conformance_labels
from civic.site.models import SINGLETON, AccessibilityStatement, PageSlug, PageVersion, SiteIdentity


def _chrome_row():
    """The identity's small columns and the statement's status, in one
    query per request (the logo's bytes are not read)."""
    one = sa.select(sa.literal(SINGLETON).label("one")).subquery()

    def published(slug):
        return (sa.select(PageVersion.id).where(PageVersion.slug == slug).order_by(PageVersion.id.desc())
                .limit(1).scalar_subquery())

    stmt = (sa.select(SiteIdentity.site_name, SiteIdentity.territory_name, SiteIdentity.logo_hash,
                      SiteIdentity.logo_alt, SiteIdentity.logo_width, SiteIdentity.logo_height,
                      SiteIdentity.accent, SiteIdentity.footer_links, AccessibilityStatement.status,
                      published(PageSlug.LEGAL).label("legal"), published(PageSlug.TERMS).label("terms"))
            .select_from(one)
            .outerjoin(SiteIdentity, SiteIdentity.id == one.c.one)
            .outerjoin(AccessibilityStatement, AccessibilityStatement.id == one.c.one))
    return db.session.execute(stmt).first()


def chrome() -> dict:
    if "site_chrome" in g:
        return g.site_chrome
    try:
        row = _chrome_row()
    except sa.exc.SQLAlchemyError:
        # An error page while the database is down or the transaction failed: the configured name.
        row = None
    name = (row.site_name if row is not None else None) or current_app.config["SITE_NAME"]
    brand = {"name": name, "territory": row.territory_name if row is not None else "", "logo": None,
             "links": (row.footer_links or []) if row is not None else [], "css": None, "status": None,
             "pages": []}
    if row is not None and row.logo_hash:
        brand["logo"] = {"url": url_for("site.logo", v=row.logo_hash), "alt": row.logo_alt,
                         "width": row.logo_width, "height": row.logo_height}
    if row is not None and row.accent:
        brand["css"] = url_for("site.stylesheet", v=views.css_version(row.accent))
    if row is not None:
        titles = views.page_titles()
        brand["pages"] = [(url_for("site.page", slug=slug.value), titles[slug])
                          for slug, present in ((PageSlug.LEGAL, row.legal), (PageSlug.TERMS, row.terms)) if present]
    if row is not None and row.status is not None:
        brand["status"] = conformance_labels()[row.status]
    g.site_chrome = {"site_name": name, "site_brand": brand}
    return g.site_chrome


def page_html(slug: str) -> str:
    version = services.current_page(PageSlug(slug))
    return version.body_html if version is not None else ""


def declare(app) -> None:
    if "site" not in app.blueprints:
        app.register_blueprint(views.bp)
        app.register_blueprint(views.admin_bp)

        @app.context_processor
        def _site_chrome():
            # Mails are rendered without a request: they keep the configured name.
            return chrome() if has_request_context() else {}

    app.jinja_env.globals.update(site_permissions=permissions, site_page_html=page_html)
