"""Participatory budgets: residents propose, the city checks, residents vote,
results anyone can recompute, then implementation tracking."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _


def _can_view_project(user, project) -> bool:
    if not project.hidden:
        return True
    from civic.accounts.models import Role

    return bool(getattr(user, "is_authenticated", False)) and user.has_any_role(Role.MODERATOR)


def _authored_by(user_id: int):
    import sqlalchemy as sa

    from civic.extensions import db

    from .models import Project

    return db.session.scalars(sa.select(Project).where(Project.author_id == user_id)).all()


def _comments_open(project) -> bool:
    from civic.core import phases

    from .models import ProjectStatus

    return (not project.hidden and project.status != ProjectStatus.MERGED
            and phases.allows("budget", project.edition_id, "comment"))


def _excerpt(project) -> str:
    text = project.description or ""
    return text if len(text) <= 300 else text[:297] + "…"


def _home_section(user):
    import sqlalchemy as sa

    from civic.core.phases import Phase
    from civic.extensions import db

    from .models import BudgetEdition

    rows = db.session.execute(sa.select(BudgetEdition, Phase.code).join(Phase, sa.and_(
        Phase.owner_kind == "budget", Phase.owner_id == BudgetEdition.id, Phase.is_current.is_(True)))
        .where(Phase.code.in_(["submission", "voting"])).order_by(BudgetEdition.id.desc()).limit(6)).all()
    items = [{"title": e.title, "url": url_for("budgets.edition", edition_id=e.id),
              "detail": _("Voting is open") if code == "voting" else _("Submit your project ideas")}
             for e, code in rows]
    return {"title": _("Participatory budgets"), "intro": _("Propose and choose the projects the city funds."),
            "items": items, "more_url": url_for("budgets.index")}


def _privacy_notice():
    return {"title": _("Participatory budgets"), "rows": [
        (_("Projects you submit (title, description, image)"), _("Publishing and reviewing the project"),
         _("As long as the edition is online")),
        (_("Your ballot, linked to your account"), _("One ballot per person, which you can change until voting closes"),
         _("The link to your account is removed when you delete your account; published ballots are anonymous")),
        (_("Paper voters: a salted hash of name, birth date and postcode"),
         _("Preventing anyone from voting twice on paper"), _("As long as the edition is online")),
    ]}


def init_app(app):
    from civic.accounts import privacy
    from civic.core import content
    from civic.core.nav import register_nav

    from . import api, demo, services, views  # noqa: F401  (api routes and demo loader register at import)
    from .models import BudgetEdition, Project

    app.register_blueprint(views.bp)
    content.register_kind(content.ContentKind(
        name="budget", model=BudgetEdition, label=lambda: _("Participatory budget"),
        title=lambda e: e.title, url=lambda e: url_for("budgets.edition", edition_id=e.id),
        author_id=lambda e: None, district_id=lambda e: None,
        hooks={"phase_changed": services.on_phase_changed,
               "create_project_from": services.create_project_from}))
    content.register_kind(content.ContentKind(
        name="project", model=Project, label=lambda: _("Budget project"),
        title=lambda p: p.title, url=lambda p: url_for("budgets.project", project_id=p.id),
        can_view=_can_view_project, author_id=lambda p: p.author_id,
        district_id=lambda p: p.envelope.district_id,
        hooks={"excerpt": _excerpt, "set_hidden": services.set_project_hidden, "text": lambda p: p.description,
               "redact": services.redact_project, "authored_by": _authored_by,
               "context": lambda p: (p.edition.title, url_for("budgets.edition", edition_id=p.edition_id)),
               "comments": {"alignment": False}, "comments_open": _comments_open, "followable": True}))
    content.register_home_section(_home_section)
    register_nav(lambda: _("Budgets"), "budgets.index", order=30)
    privacy.register_exporter("budgets", services.export_user_data)
    privacy.register_eraser(services.erase_user_data)
    privacy.register_privacy_notice(_privacy_notice)
    try:
        from . import cli_import  # noqa: F401  (adds "import" to the budgets command group)
    except ImportError:  # the rules CLI is not installed: no command group to extend
        pass
