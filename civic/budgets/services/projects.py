"""Projects: submission, images, the feasibility review and merges, the
moderation hooks, and which projects are listed and on the ballot."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core import audit, content, pictures
from civic.core.errors import InvalidTransition, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import require, require_contributor
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db

from .. import permissions
from ..explain import money
from ..models import PROJECT_KIND, REVIEW_FLOW, BudgetEdition, Envelope, Project, ProjectStatus


def _validate_project_fields(edition, envelope_id, title, description, estimated_cost, location):
    errors = {}
    title = clean_text(title)
    if not title:
        errors["title"] = _("Give your project a title.")
    elif len(title) > 200:
        errors["title"] = _("Keep the title under 200 characters.")
    if not clean_text(description, multiline=True):
        errors["description"] = _("Describe the project: what, where, for whom.")
    envelope = next((e for e in edition.envelopes if e.id == envelope_id), None)
    if envelope is None:
        errors["envelope_id"] = _("Choose where the project takes place.")
    if estimated_cost is None or estimated_cost <= 0:
        errors["estimated_cost"] = _("Give an estimated cost, in whole currency units.")
    elif envelope is not None and estimated_cost > envelope.amount:
        errors["estimated_cost"] = _("The cost is higher than the whole envelope (%(amount)s).",
                                     amount=money(envelope.amount, edition.currency))
    location = clean_text(location)
    if len(location) > 200:
        errors["location"] = _("Keep the location under 200 characters.")
    if errors:
        raise ValidationError(fields=errors)
    return title, envelope, location


def _add_project(actor, edition: BudgetEdition, envelope: Envelope, title: str, description: str,
                 **columns) -> Project:
    project = Project(edition_id=edition.id, envelope_id=envelope.id, author_id=actor.id, title=title,
                      description=clean_text(description, multiline=True),
                      description_html=render_markdown(description), **columns)
    db.session.add(project)
    db.session.flush()
    return project


def submit_project(actor, edition: BudgetEdition, *, envelope_id: int, title: str, description: str,
                   estimated_cost: int | None, location: str = "",
                   picture: pictures.PictureInput | None = None) -> Project:
    """A resident proposes a project during the submission phase; officials of
    the district can add one until voting opens. ``picture``: the form's
    picture fields as read by :func:`civic.core.pictures.stage`."""
    require_contributor(actor)
    picture_errors = pictures.check(picture, PROJECT_KIND, None)
    try:
        title, envelope, location = _validate_project_fields(edition, envelope_id, title, description,
                                                             estimated_cost, location)
    except ValidationError as err:
        raise ValidationError(fields={**(err.fields or {}), **picture_errors}) from None
    if picture_errors:
        raise ValidationError(fields=picture_errors)
    require(permissions.can_submit_project(actor, edition, envelope))
    project = _add_project(actor, edition, envelope, title, description, location=location,
                           estimated_cost=estimated_cost)
    pictures.apply(picture, PROJECT_KIND, project.id)
    audit.record(actor, "budget.project_submitted", PROJECT_KIND, project.id, edition_id=edition.id)
    content.created(PROJECT_KIND, project, actor)
    return project


def create_project_from(actor, edition: BudgetEdition, title: str, description: str, district_id: int | None,
                        *, source_kind: str, source_id: int) -> Project:
    """Hook for other modules: an accepted proposal becomes a project of this
    edition, in its district's envelope (else the city-wide one). The city's
    feasibility review follows as for any project and sets the real cost; until
    then the estimate is 0, and only reviewed projects reach the ballot."""
    require(permissions.can_create_project_from(actor, district_id))
    envelope = next((e for e in edition.envelopes if e.district_id == district_id), None) or next(
        (e for e in edition.envelopes if e.district_id is None), None)
    if edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the list of projects cannot change."))
    if envelope is None:
        raise ValidationError(_("This budget has no envelope for this district."))
    project = _add_project(actor, edition, envelope, clean_text(title)[:200], description, estimated_cost=0)
    audit.record(actor, "budget.project_from", PROJECT_KIND, project.id, edition_id=edition.id,
                 source_kind=source_kind, source_id=source_id)
    content.created(PROJECT_KIND, project, actor)
    return project


def set_project_picture(actor, project: Project, picture: pictures.PictureInput) -> None:
    """Replace, remove or re-describe the project's picture (its author or an
    official of its district), until voting opens: the ballot does not change
    under voters."""
    require(permissions.can_change_project_image(actor, project))
    if project.edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the list of projects cannot change."))
    pictures.apply(picture, PROJECT_KIND, project.id)
    audit.record(actor, "budget.project_picture", PROJECT_KIND, project.id,
                 removed=picture.remove and picture.pending is None)


def _notify_author(project: Project, template: str, subject) -> None:
    author = project.author
    if author is None or not author.email or author.deleted_at is not None:
        return
    queue_mail(author.email, subject, template,
               {"user": author, "project": project, "url": absolute_url("budgets.project", project_id=project.id),
                "currency": project.edition.currency},
               user=author)


def review_project(actor, project: Project, *, feasible: bool, reason: str, final_cost: int | None) -> None:
    """Feasibility review by an official: public reason, final cost; the author is told."""
    require(permissions.can_review_project(actor, project))
    if project.edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the list of projects cannot change."))
    reason = clean_text(reason, multiline=True)
    errors = {}
    if not feasible and not reason:
        errors["reason"] = _("Explain publicly why the project is not feasible.")
    if feasible:
        cost = final_cost if final_cost is not None else project.estimated_cost
        if cost <= 0:
            errors["final_cost"] = _("Give the cost set by the city.")
        elif cost > project.envelope.amount:
            errors["final_cost"] = _("The cost is higher than the whole envelope.")
    if errors:
        raise ValidationError(fields=errors)
    # Audited below with the review's own data (reason, cost), as before the flow helper.
    transition(project, REVIEW_FLOW, ProjectStatus.FEASIBLE if feasible else ProjectStatus.UNFEASIBLE, actor,
               None, attr="status")
    project.review_reason = reason or None
    project.final_cost = cost if feasible else project.final_cost
    project.reviewed_at = utcnow()
    db.session.flush()
    audit.record(actor, "budget.project_reviewed", PROJECT_KIND, project.id, reason=reason or None,
                 feasible=feasible, final_cost=project.final_cost)
    _notify_author(project, "budgets/project_reviewed",
                   (lambda: _("Your project has been reviewed")) if feasible
                   else (lambda: _("Your project cannot go to the vote")))


def merge_project(actor, project: Project, into: Project, note: str) -> None:
    """Merge a project into a similar one, with a public note; the author is told."""
    require(permissions.can_review_project(actor, project))
    if project.edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the list of projects cannot change."))
    note = clean_text(note, multiline=True)
    errors = {}
    if into is None or into.id == project.id or into.envelope_id != project.envelope_id:
        errors["into_id"] = _("Choose another project of the same envelope.")
    elif into.status == ProjectStatus.MERGED:
        errors["into_id"] = _("This project was itself merged: choose the one it was merged into.")
    if not note:
        errors["note"] = _("Explain publicly why the projects are merged.")
    if errors:
        raise ValidationError(fields=errors)
    project.merged_into_id = into.id
    transition(project, REVIEW_FLOW, ProjectStatus.MERGED, actor, None, attr="status")
    project.review_reason = note
    project.reviewed_at = utcnow()
    db.session.flush()
    audit.record(actor, "budget.project_merged", PROJECT_KIND, project.id, reason=note, into=into.id)
    _notify_author(project, "budgets/project_merged", lambda: _("Your project has been merged with another one"))


def set_project_hidden(project: Project, hidden: bool) -> None:
    """Moderation hook: hidden projects leave public pages, lists and the API."""
    project.hidden = hidden
    db.session.flush()


def redact_project(project: Project, new_text: str) -> None:
    """Moderation hook: replace the description (personal data edited out)."""
    project.description = clean_text(new_text, multiline=True)
    project.description_html = render_markdown(new_text)
    db.session.flush()


def projects_by(user_id: int) -> list[Project]:
    """Moderation hook ``authored_by``: a person's projects."""
    return db.session.scalars(sa.select(Project).where(Project.author_id == user_id)).all()


def visible_projects_query(edition_id: int, user=None):
    """The edition's projects ``user`` may see listed (hidden ones only for moderators)."""
    stmt = sa.select(Project).where(Project.edition_id == edition_id)
    if not permissions.can_see_hidden_projects(user):
        stmt = stmt.where(Project.hidden.is_(False))
    return stmt


def ballot_projects(envelope: Envelope) -> list[Project]:
    """Projects on the ballot of an envelope, in a stable order (also the
    tie-break order of the rules and the order of the .pb export)."""
    return db.session.scalars(sa.select(Project).where(
        Project.envelope_id == envelope.id, Project.status == ProjectStatus.FEASIBLE,
        Project.hidden.is_(False)).order_by(Project.id)).all()
