"""The one declaration of the budgets module: its blueprint, its two content
kinds (an edition, a project) and their hooks, the home section, navigation,
privacy exporter/eraser/notice, the demo loader, the CLI and the template
globals. ``civic.budgets.init_app`` calls :func:`declare`; every registration
is idempotent (tests create many apps)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from civic.accounts import privacy
from civic.core import content, phases
from civic.core.datasets import register_dataset
from civic.core.jobs import enqueue, register_periodic
from civic.core.nav import register_nav
from civic.core.series import Series, register_series
from civic.extensions import db

from . import api, demo, jobs, opendata, permissions, series, services, views  # noqa: F401  (api routes and demo loader register at import)
from .models import KIND, PROJECT_KIND, BudgetEdition, Envelope, Project, ProjectStatus

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
               "verification_actions": lambda: ["vote"], "can_manage": permissions.can_manage_edition}))
    content.register_kind(content.ContentKind(
        name=PROJECT_KIND, model=Project, label=lambda: _("Budget project"),
        title=lambda p: p.title, url=lambda p: url_for("budgets.project", project_id=p.id),
        can_view=permissions.can_view_project, author_id=lambda p: p.author_id,
        district_id=lambda p: p.envelope.district_id,
        hooks={"excerpt": _excerpt, "set_hidden": services.set_project_hidden, "text": lambda p: p.description,
               "redact": services.redact_project, "authored_by": services.projects_by,
               "context": lambda p: (p.edition.title, url_for("budgets.edition", edition_id=p.edition_id)),
               "comments": {"alignment": False}, "comments_open": _comments_open, "followable": True}))
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
    privacy.register_privacy_notice(_privacy_notice)
    opendata.register()
    try:
        from . import cli_import  # noqa: F401  (adds "import" to the budgets command group)
    except ImportError:  # the rules CLI is not installed: no command group to extend
        pass
