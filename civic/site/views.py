"""Public pages (the accessibility statement, the editable pages, the
site's stylesheet and logo) and the admin forms that change them."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.core.forms import form_status, run_service
from civic.core.permissions import require, require_login
from civic.site import colours, permissions, services
from civic.site.forms import IdentityForm, PageForm, StatementForm, conformance_labels
from civic.site.models import PageSlug
from civic.site.services import FOOTER_LINKS_MAX, STATEMENT_TEXTS

bp = Blueprint("site", __name__)
admin_bp = Blueprint("site_admin", __name__, url_prefix="/admin")

LONG = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


def page_titles() -> dict:
    return {PageSlug.LEGAL: _("Legal notice"), PageSlug.TERMS: _("Terms of use"),
            PageSlug.PRIVACY: _("Privacy: additions")}


def accent_css(accent: str) -> str:
    return f":root{{--accent:{accent};--accent-dark:{colours.darker(accent)}}}\n"


def css_version(accent: str | None) -> str | None:
    return hashlib.sha256(accent_css(accent).encode()).hexdigest()[:10] if accent else None


@bp.get("/accessibility")
def accessibility():
    statement = services.current_statement()
    label = conformance_labels()[statement.status] if statement is not None else None
    return render_template("site/accessibility.html", statement=statement, status_label=label,
                           identity=services.current_identity())


@bp.get("/pages/<slug>")
def page(slug):
    try:
        slug = PageSlug(slug)
    except ValueError:
        abort(404)
    if slug == PageSlug.PRIVACY:
        return redirect(url_for("core.privacy"))
    version = services.current_page(slug)
    if version is None or not version.body_html:
        abort(404)
    return render_template("site/page.html", version=version, title=page_titles()[slug])


@bp.get("/site.css")
def stylesheet():
    identity = services.current_identity()
    accent = identity.accent if identity else None
    body = accent_css(accent) if accent else ""
    version = css_version(accent) or "none"
    resp = Response(body, mimetype="text/css")
    resp.set_etag(version)
    resp.headers["Cache-Control"] = LONG if request.args.get("v") == version else SHORT
    return resp.make_conditional(request)


@bp.get("/site/logo")
def logo():
    identity = services.current_identity()
    if identity is None or identity.logo is None:
        abort(404)
    resp = Response(identity.logo, mimetype=identity.logo_type)
    resp.set_etag(identity.logo_hash)
    resp.headers["Cache-Control"] = LONG if request.args.get("v") == identity.logo_hash else SHORT
    # An SVG opened on its own is a document: it may do nothing at all.
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return resp.make_conditional(request)


@admin_bp.before_request
@login_required
def _admins_only():
    require_login(current_user)
    require(permissions.can_manage_site(current_user))


@admin_bp.route("/identity", methods=["GET", "POST"])
def identity():
    current = services.current_identity()
    form = IdentityForm()
    if request.method == "GET" and current is not None:
        form.site_name.data, form.territory_name.data = current.site_name, current.territory_name
        form.logo_alt.data, form.accent.data = current.logo_alt, current.accent
        for i, link in enumerate((current.footer_links or [])[:FOOTER_LINKS_MAX]):
            getattr(form, f"link_label_{i}").data, getattr(form, f"link_url_{i}").data = link["label"], link["url"]
    if request.method == "POST" and form.validate():
        upload = request.files.get("logo")
        raw = upload.read() if upload else b""
        links = [(getattr(form, f"link_label_{i}").data or "", getattr(form, f"link_url_{i}").data or "")
                 for i in range(FOOTER_LINKS_MAX)]
        ok, _r = run_service(form, services.update_identity, current_user, site_name=form.site_name.data or "",
                             territory_name=form.territory_name.data or "", logo_alt=form.logo_alt.data or "",
                             accent=form.accent.data or "", footer_links=links, logo=raw or None,
                             remove_logo=bool(form.remove_logo.data))
        if ok:
            flash(_("The site's identity is saved."), "success")
            return redirect(url_for("site_admin.identity"))
    links = [(getattr(form, f"link_label_{i}"), getattr(form, f"link_url_{i}")) for i in range(FOOTER_LINKS_MAX)]
    return render_template("site/identity.html", form=form, links=links, current=current), form_status(form)


@admin_bp.get("/pages")
def pages():
    rows = [(slug, title, services.current_page(slug)) for slug, title in page_titles().items()]
    return render_template("site/pages.html", rows=rows)


def _slug_or_404(slug) -> PageSlug:
    try:
        return PageSlug(slug)
    except ValueError:
        abort(404)


@admin_bp.route("/pages/<slug>", methods=["GET", "POST"])
def edit_page(slug):
    slug = _slug_or_404(slug)
    form = PageForm()
    current = services.current_page(slug)
    if request.method == "GET" and current is not None:
        form.body.data = current.body
    if request.method == "POST" and form.validate():
        ok, _r = run_service(form, services.save_page, current_user, slug, form.body.data or "")
        if ok:
            flash(_("A new version of the page is published."), "success")
            return redirect(url_for("site_admin.page_history", slug=slug.value))
    return render_template("site/page_form.html", form=form, slug=slug, title=page_titles()[slug],
                           current=current), form_status(form)


@admin_bp.get("/pages/<slug>/history")
def page_history(slug):
    slug = _slug_or_404(slug)
    return render_template("site/page_history.html", slug=slug, title=page_titles()[slug],
                           versions=services.page_history(slug))


@admin_bp.post("/pages/<slug>/history/<int:version_id>/restore")
def restore_page(slug, version_id):
    slug = _slug_or_404(slug)
    form = PageForm()
    ok, _r = run_service(form, services.restore_page, current_user, slug, version_id)
    if ok:
        flash(_("The older version is published again, as a new version."), "success")
    return redirect(url_for("site_admin.page_history", slug=slug.value))


@admin_bp.route("/accessibility", methods=["GET", "POST"])
def statement():
    current = services.current_statement()
    form = StatementForm(obj=current if request.method == "GET" else None)
    if request.method == "GET" and current is not None:
        form.status.data = current.status.value
        form.rate.data = "" if current.rate is None else f"{current.rate:g}"
    if request.method == "POST" and form.validate():
        ok, _r = run_service(form, services.save_statement, current_user, entity_name=form.entity_name.data or "",
                             site_url=form.site_url.data or "", status=form.status.data or "",
                             rate=form.rate.data, audit_date=form.audit_date.data,
                             audited_by=form.audited_by.data or "", established_on=form.established_on.data,
                             contact_email=form.contact_email.data or "",
                             contact_postal=form.contact_postal.data or "",
                             contact_form_url=form.contact_form_url.data or "",
                             **{key: getattr(form, key).data or "" for key in STATEMENT_TEXTS})
        if ok:
            flash(_("The accessibility statement is published."), "success")
            return redirect(url_for("site.accessibility"))
    return render_template("site/statement_form.html", form=form, current=current), form_status(form)
