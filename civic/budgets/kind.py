"""The one declaration of the budgets module: its blueprint, its two content
kinds (an edition, a project) and their hooks, the home section, navigation,
privacy exporter/eraser/notice, the demo loader, the CLI and the template
globals. ``civic.budgets.init_app`` calls :func:`declare`; every registration
is idempotent (tests create many apps)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from sqlalchemy.orm import selectinload

from civic.accounts import privacy
from civic.core import content, phases, pictures
from civic.core.datasets import register_dataset
from civic.core.jobs import enqueue, register_periodic
from civic.core.nav import register_nav
from civic.core.permissions import OFFICIAL, is_official_for, staff_scope
from civic.core.series import Series, register_series
from civic.extensions import db

from . import api, demo, jobs, opendata, permissions, series, services, views  # noqa: F401  (api routes and demo loader register at import)
from .models import KIND, PROJECT_KIND, BudgetEdition, Envelope, Project, ProjectStatus, ResultsStatus

# --- hooks -------------------------------------------------------------------------


def on_phase_changed(edition: BudgetEdition, old_code: str | None, new_code: str) -> None:
    """``phase_changed``: the rules freeze when voting opens; the results are
    computed by job when it closes."""
    if services.apply_phase_change(edition, old_code, new_code):
        enqueue(jobs.compute_results_job, edition.id)


def _comments_open(project: Project) -> bool:
    return (not project.hidden and project.status != ProjectStatus.MERGED
            and phases.allows(KIND, project.edition_id, "comment"))


def _excerpt(project: Project) -> str:
    text = project.description or ""
    return text if len(text) <= 300 else text[:297] + "…"


def _edition_document(edition: BudgetEdition) -> dict | None:
    """A published edition as the site-wide search shows it."""
    if not permissions.can_view_edition(None, edition):
        return None
    return {"title": edition.title, "body": edition.description_html,
            "url": url_for("budgets.edition", edition_id=edition.id), "district_id": None,
            "published_at": edition.published_at}


def _project_document(project: Project) -> dict | None:
    """A visible project of a published edition; never who submitted it."""
    if not permissions.can_view_project(None, project):
        return None
    return {"title": project.title, "body": "\n\n".join(x for x in (project.description, project.location) if x),
            "url": url_for("budgets.project", project_id=project.id), "district_id": project.envelope.district_id,
            "published_at": project.created_at}


def _home_section(user):
    rows = db.session.execute(sa.select(BudgetEdition, phases.Phase.code).join(phases.Phase, sa.and_(
        phases.Phase.owner_kind == KIND, phases.Phase.owner_id == BudgetEdition.id,
        phases.Phase.is_current.is_(True)))
        .where(phases.Phase.code.in_(["submission", "voting"]), BudgetEdition.published_at.is_not(None)).order_by(BudgetEdition.id.desc()).limit(6)).all()
    items = [{"title": e.title, "url": url_for("budgets.edition", edition_id=e.id),
              "detail": _("Voting is open") if code == "voting" else _("Submit your project ideas")}
             for e, code in rows]
    return {"title": _("Participatory budgets"), "intro": _("Propose and choose the projects the city funds."),
            "items": items, "more_url": url_for("budgets.index")}


def _counter_section(user) -> dict | None:
    """Envelopes of editions in their voting phase whose paper ballots this mediator may enter."""
    editions = db.session.scalars(sa.select(BudgetEdition).join(phases.Phase, sa.and_(
        phases.Phase.owner_kind == KIND, phases.Phase.owner_id == BudgetEdition.id,
        phases.Phase.is_current.is_(True))).where(phases.Phase.code == "voting",
                                                  BudgetEdition.published_at.is_not(None))
        # Envelopes and their districts in two more queries, not one per edition and envelope.
        .options(selectinload(BudgetEdition.envelopes).selectinload(Envelope.district))
        .order_by(BudgetEdition.id.desc())).all()
    items = [{"title": f"{e.title} — {v.name}", "url": url_for("budgets.paper", edition_id=e.id, envelope_id=v.id),
              "detail": _("paper ballots")}
             for e in editions for v in e.envelopes if permissions.can_enter_paper_ballot(user, v)]
    return {"title": _("Participatory budgets: paper ballots"), "items": items}


# --- the back office (/admin) ------------------------------------------------------------

def _reviewable_projects(actor):
    """Projects waiting for their feasibility review in the actor's districts,
    with their envelope and edition (three queries)."""
    rows = db.session.scalars(
        sa.select(Project).join(Envelope, Envelope.id == Project.envelope_id).where(
            Project.status == ProjectStatus.SUBMITTED, Project.hidden.is_(False),
            staff_scope(actor, Envelope.district_id, OFFICIAL))
        .options(selectinload(Project.envelope), selectinload(Project.edition)).order_by(Project.id)).all()
    return [p for p in rows if permissions.can_review_project(actor, p)]


def _admin_spaces(actor) -> list[dict]:
    """Editions the actor manages (city-wide officials: all, drafts included)
    or reviews projects of (district officials: the editions with an envelope
    of their districts), with the current phase: three queries."""
    editions = db.session.scalars(sa.select(BudgetEdition).order_by(BudgetEdition.id.desc())).all()
    if not permissions.can_manage_edition(actor):
        envelopes = db.session.execute(sa.select(Envelope.edition_id, Envelope.district_id).where(
            staff_scope(actor, Envelope.district_id, OFFICIAL))).all()
        reviewed = {e for e, district in envelopes if is_official_for(actor, district)}
        editions = [e for e in editions if e.id in reviewed and permissions.can_view_edition(actor, e)]
    current = phases.current_titles(KIND, [e.id for e in editions], services.phase_label)
    out = []
    for e in editions:
        url = url_for("budgets.edition", edition_id=e.id)
        state = (_("Draft") if e.is_draft else _("Results published")
                 if e.results_status == ResultsStatus.PUBLISHED else pgettext("budget edition state", "Published"))
        out.append({"kind": KIND, "id": e.id, "title": e.title, "url": url, "state": state,
                    "phase": current.get(e.id), "is_draft": e.is_draft, "district_id": None,
                    "preview_url": url if e.is_draft else None})
    return out


def _attention(actor) -> list[dict]:
    """Feasibility reviews waiting (one row per edition, with their number) and
    computed results waiting for publication."""
    waiting: dict[int, list[Project]] = {}
    for p in _reviewable_projects(actor):
        waiting.setdefault(p.edition_id, []).append(p)
    rows = [{"kind": KIND, "id": edition_id, "title": projects[0].edition.title,
             "url": url_for("budgets.projects", edition_id=edition_id),
             "what": ngettext("%(num)d feasibility review waiting", "%(num)d feasibility reviews waiting",
                              len(projects)),
             "due_at": None, "late": False} for edition_id, projects in waiting.items()]
    if permissions.can_manage_edition(actor):
        computed = db.session.scalars(sa.select(BudgetEdition).where(
            BudgetEdition.results_status == ResultsStatus.COMPUTED).order_by(BudgetEdition.id)).all()
        rows += [{"kind": KIND, "id": e.id, "title": e.title, "url": url_for("budgets.results", edition_id=e.id),
                  "what": _("Results to publish"), "due_at": None, "late": False} for e in computed]
    return rows


def _create_links(actor) -> list[tuple[str, str]]:
    if permissions.can_manage_edition(actor):
        return [(_("Create an edition"), url_for("budgets.new_edition"))]
    return []


def _privacy_notice():
    return {"title": _("Participatory budgets"), "rows": [
        (_("Projects you submit (title, description, image)"), _("Publishing and reviewing the project"),
         _("As long as the edition is online")),
        (_("Your ballot, linked to your account"), _("One ballot per person, which you can change until voting closes"),
         _("The link to your account is removed when you delete your account; published ballots are anonymous")),
        (_("Paper voters: a salted hash of name, birth date and postcode"),
         _("Preventing anyone from voting twice on paper"), _("As long as the edition is online")),
    ]}


# --- the declaration -------------------------------------------------------------------

def declare(app) -> None:
    app.register_blueprint(views.bp)
    # A global, not a context processor: imported macros see it too.
    app.jinja_env.globals["budgets_permissions"] = permissions
    content.register_kind(content.ContentKind(
        name=KIND, model=BudgetEdition, label=lambda: _("Participatory budget"),
        title=lambda e: e.title, url=lambda e: url_for("budgets.edition", edition_id=e.id),
        author_id=lambda e: None, district_id=lambda e: None,
        hooks={"phase_changed": on_phase_changed, "create_project_from": services.create_project_from,
               "admin_spaces": _admin_spaces, "attention": _attention, "create_links": _create_links,
               "search_document": _edition_document, "search_documents": lambda: db.session.scalars(
                   sa.select(BudgetEdition).where(BudgetEdition.published_at.is_not(None))),
               "search_related": lambda e: db.session.scalars(
                   sa.select(Project).where(Project.edition_id == e.id)).all(),
               "followable": True, "events": {"phase_changed": "progress", "results_published": "progress"},
               "verification_actions": lambda: ["vote"], "can_manage": permissions.can_manage_edition}))
    content.register_kind(content.ContentKind(
        name=PROJECT_KIND, model=Project, label=lambda: _("Budget project"),
        title=lambda p: p.title, url=lambda p: url_for("budgets.project", project_id=p.id),
        can_view=permissions.can_view_project, author_id=lambda p: p.author_id,
        district_id=lambda p: p.envelope.district_id,
        hooks={"excerpt": _excerpt, "set_hidden": services.set_project_hidden, "text": lambda p: p.description,
               "redact": services.redact_project, "authored_by": services.projects_by,
               "context": lambda p: (p.edition.title, url_for("budgets.edition", edition_id=p.edition_id)),
               "comments": {"alignment": False}, "comments_open": _comments_open, "followable": True,
               "search_document": _project_document, "search_documents": lambda: db.session.scalars(
                   sa.select(Project).join(BudgetEdition, BudgetEdition.id == Project.edition_id)
                   .where(BudgetEdition.published_at.is_not(None), Project.hidden.is_(False))
                   .options(selectinload(Project.edition), selectinload(Project.envelope))),
               "events": {"implementation_update": "progress"}}))
    content.register_home_section(_home_section)
    content.register_counter_section(_counter_section)
    register_nav(lambda: _("Budgets"), "budgets.index", order=30)
    # The daily open data series: recomputed hourly (yesterday and today), backfilled by
    # ``flask civic backfill-series``, published through the dataset registry.
    register_periodic("budgets.daily", series.refresh_daily, 3600)
    register_series(Series("budgets", series.refresh_days, series.first_day, job="budgets.daily"))
    register_dataset(series.dataset())
    privacy.register_exporter("budgets", services.export_user_data)
    privacy.register_eraser(services.erase_user_data)
    # Pictures stay with their item, which stays too, without the uploader's link.
    privacy.register_eraser(pictures.erase_uploader)
    privacy.register_privacy_notice(_privacy_notice)
    opendata.register()
    try:
        from . import cli_import  # noqa: F401  (adds "import" to the budgets command group)
    except ImportError:  # the rules CLI is not installed: no command group to extend
        pass
