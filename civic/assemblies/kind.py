"""The one declaration of the assemblies module: its blueprint, the
"assembly" and "recommendation" content kinds and their hooks, the home
section, navigation, privacy export/erase/notice, demo loader and Jinja
globals. ``civic.assemblies.init_app`` only calls :func:`declare`.
Registrations are idempotent (tests create many apps)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from civic.accounts import privacy
from civic.assemblies import (  # noqa: F401  (api and demo register at import)
    api,
    cli,
    demo,
    draw_kind,
    opendata,
    permissions,
    services,
    views,
)
from civic.assemblies.labels import STATE_LABELS
from civic.assemblies.models import PUBLIC_STATES, Assembly, AssemblyState, Member, Recommendation
from civic.cli import civic_cli
from civic.core import content
from civic.core.export import iso
from civic.core.nav import register_nav
from civic.core.permissions import OFFICIAL, is_official_for, staff_scope
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db


def _url(endpoint: str, anchor: str | None = None, **values) -> str:
    """Relative URL in a request, absolute (from BASE_URL) in jobs and CLI."""
    if anchor:
        values["_anchor"] = anchor
    if has_request_context():
        return url_for(endpoint, **values)
    return absolute_url(endpoint, **values)


# --- hooks of the "recommendation" kind ------------------------------------------------

def excerpt(rec: Recommendation) -> str:
    return f"{rec.title}: {rec.body[:300]}"


def set_hidden(rec: Recommendation, hidden: bool) -> None:
    rec.hidden = bool(hidden)
    db.session.flush()


def redact(rec: Recommendation, new_text: str) -> None:
    """Moderation edits personal data out of the text (it keeps the original)."""
    rec.body = clean_text(new_text, multiline=True)
    rec.body_html = render_markdown(rec.body)
    db.session.flush()


def comments_open(obj) -> bool:
    """Residents comment on a public assembly and its recommendations, not on hidden ones."""
    assembly = obj if isinstance(obj, Assembly) else obj.assembly
    return assembly.is_published and not getattr(obj, "hidden", False)


def owed_answers() -> list[dict]:
    """Every recommendation of a public assembly is owed an official answer,
    due ``answer_delay_days`` after its adoption."""
    rows = db.session.scalars(
        sa.select(Recommendation).join(Assembly, Assembly.id == Recommendation.assembly_id)
        .where(Assembly.state.in_(PUBLIC_STATES), Recommendation.hidden.is_(False))
        .options(selectinload(Recommendation.assembly))
        .order_by(Recommendation.answer_due_at, Recommendation.id)).all()
    return [{"kind": "recommendation", "id": r.id, "title": r.title,
             "url": _url("assemblies.recommendation", rec_id=r.id), "district_id": r.assembly.district_id,
             "owed_since": r.adopted_at, "due_at": r.answer_due_at, "answered_at": r.answered_at} for r in rows]


# --- the back office (/admin) ------------------------------------------------------------

def admin_spaces(actor) -> list[dict]:
    """Assemblies the actor manages (admins: drafts included) or answers the
    recommendations of (officials of its district, once public): one query."""
    rows = db.session.scalars(sa.select(Assembly).where(
        staff_scope(actor, Assembly.district_id, OFFICIAL)).order_by(Assembly.id.desc())).all()
    out = []
    for a in rows:
        if not (permissions.can_manage_assembly(actor, a)
                or (a.is_published and is_official_for(actor, a.district_id))):
            continue
        url = _url("assemblies.show", assembly_id=a.id)
        draft = a.state == AssemblyState.DRAFT
        out.append({"kind": "assembly", "id": a.id, "title": a.title, "url": url, "state": str(STATE_LABELS[a.state]),
                    "phase": None, "is_draft": draft, "district_id": a.district_id,
                    "preview_url": url if draft else None})
    return out


def attention(actor) -> list[dict]:
    """Recommendations still waiting for their official answer: two queries."""
    now = utcnow()
    rows = db.session.scalars(
        sa.select(Recommendation).join(Assembly, Assembly.id == Recommendation.assembly_id)
        .where(Assembly.state.in_(PUBLIC_STATES), Recommendation.hidden.is_(False),
               Recommendation.answered_at.is_(None), staff_scope(actor, Assembly.district_id, OFFICIAL))
        .options(selectinload(Recommendation.assembly))
        .order_by(Recommendation.answer_due_at, Recommendation.id)).all()
    return [{"kind": "recommendation", "id": r.id, "title": r.title,
             "url": _url("assemblies.recommendation", rec_id=r.id), "what": _("Official answer due"),
             "due_at": r.answer_due_at, "late": r.answer_due_at < now}
            for r in rows if permissions.can_answer_recommendation(actor, r)]


def create_links(actor) -> list[tuple[str, str]]:
    if permissions.can_create_assembly(actor):
        return [(_("Create an assembly"), _url("assemblies.new"))]
    return []
def assembly_document(assembly: Assembly) -> dict | None:
    """A published assembly (its mandate, never its members) for the site-wide search."""
    if not permissions.can_view_assembly(None, assembly):
        return None
    return {"title": assembly.title, "body": "\n\n".join(x for x in (assembly.summary, assembly.mandate) if x),
            "url": _url("assemblies.show", assembly_id=assembly.id), "district_id": assembly.district_id,
            "published_at": assembly.published_at}


def recommendation_document(rec: Recommendation) -> dict | None:
    if not permissions.can_view_recommendation(None, rec):
        return None
    return {"title": rec.title, "body": rec.body, "url": _url("assemblies.recommendation", rec_id=rec.id),
            "district_id": rec.assembly.district_id, "published_at": rec.adopted_at or rec.created_at}


def _register_kinds() -> None:
    content.register_kind(content.ContentKind(
        name="assembly", model=Assembly, label=lambda: _("Citizens' assembly"), title=lambda a: a.title,
        url=lambda a: _url("assemblies.show", assembly_id=a.id), can_view=permissions.can_view_assembly,
        author_id=lambda a: None, district_id=lambda a: a.district_id,
        hooks={"followable": True, "comments": {"alignment": False}, "comments_open": comments_open,
               "admin_spaces": admin_spaces, "attention": attention, "create_links": create_links,
               "search_document": assembly_document, "search_documents": lambda: db.session.scalars(
                   sa.select(Assembly).where(Assembly.state != AssemblyState.DRAFT)),
               "search_related": lambda a: db.session.scalars(
                   sa.select(Recommendation).where(Recommendation.assembly_id == a.id)).all()}))
    content.register_kind(content.ContentKind(
        name="recommendation", model=Recommendation, label=lambda: _("Assembly recommendation"),
        title=lambda r: r.title, url=lambda r: _url("assemblies.recommendation", rec_id=r.id),
        can_view=permissions.can_view_recommendation, author_id=lambda r: None,
        district_id=lambda r: r.assembly.district_id,
        hooks={"followable": True, "comments": {"alignment": True}, "comments_open": comments_open,
               "excerpt": excerpt, "set_hidden": set_hidden, "redact": redact, "text": lambda r: r.body,
               "context": lambda r: (r.assembly.title, _url("assemblies.show", assembly_id=r.assembly_id)),
               "owed_answers": owed_answers, "search_document": recommendation_document,
               "search_documents": lambda: db.session.scalars(
                   sa.select(Recommendation).join(Assembly).where(Assembly.state != AssemblyState.DRAFT,
                                                                  Recommendation.hidden.is_(False))
                   .options(selectinload(Recommendation.assembly)))}))


# --- home, privacy ---------------------------------------------------------------------

def home_section(user):
    rows, _more = services.list_assemblies(None, limit=4)
    rows = [a for a in rows if a.state in (AssemblyState.SELECTING, AssemblyState.SITTING)] or rows[:2]
    if not rows:
        return None
    return {"title": _("Citizens' assemblies"),
            "intro": _("Residents drawn by lot deliberate and make recommendations; the city answers each one."),
            "items": [{"title": a.title, "url": url_for("assemblies.show", assembly_id=a.id),
                       "detail": f"{STATE_LABELS[a.state]} · {a.summary}"} for a in rows],
            "more_url": url_for("assemblies.index"), "more_label": _("All assemblies")}


def export_personal_data(user) -> dict:
    rows = db.session.execute(sa.select(Member, Assembly.title).join(Assembly, Assembly.id == Member.assembly_id)
                              .where(Member.user_id == user.id).order_by(Member.id)).all()
    return {"memberships": [{"assembly_id": m.assembly_id, "assembly": title, "first_name": m.first_name,
                             "first_name_shown": m.show_name, "joined_at": iso(m.joined_at),
                             "left_at": iso(m.left_at)} for m, title in rows]}


def erase_personal_data(user) -> None:
    """The seat stays counted (the assembly had that many members) but is no
    longer linked to the person, and no name is kept."""
    db.session.execute(sa.update(Member).where(Member.user_id == user.id)
                       .values(user_id=None, first_name=None, show_name=False)
                       .execution_options(synchronize_session=False))


def privacy_notice() -> dict:
    return {"title": _("Citizens' assemblies"), "rows": [
        (_("That you sit in an assembly, and your first name"),
         _("To organise the assembly; your first name is shown publicly only if you choose so"),
         _("Until you delete your account; your seat then stays counted without any name")),
    ]}


def declare(app) -> None:
    """Everything the assemblies module registers (called by ``init_app``)."""
    opendata.register()
    if "assemblies" not in app.blueprints:
        app.register_blueprint(views.bp)
    # A global, not a context processor: imported macros see it too.
    app.jinja_env.globals["assemblies_permissions"] = permissions
    _register_kinds()
    content.register_home_section(home_section)
    register_nav(lambda: _("Assemblies"), "assemblies.index", order=45)
    privacy.register_exporter("assemblies", export_personal_data)
    privacy.register_eraser(erase_personal_data)
    privacy.register_privacy_notice(privacy_notice)
    draw_kind.declare_draw(app)
    if "assemblies" not in civic_cli.commands:
        civic_cli.add_command(cli.assemblies_group)
