"""Implementation tracking of the selected projects: public dated updates,
mailed to followers, and the edition's overall progress."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core import audit, events
from civic.core.errors import InvalidTransition, ValidationError
from civic.core.follows import followers
from civic.core.outbox import queue_mail
from civic.core.permissions import require
from civic.core.sanitize import clean_text, render_markdown
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db

from .. import permissions
from ..models import (
    IMPLEMENTATION_FLOW,
    PROJECT_KIND,
    BudgetEdition,
    ImplementationStatus,
    Project,
    ProjectUpdate,
)


def record_update(actor, project: Project, *, status: str, progress: int | None, body: str,
                  cancel_reason: str = "") -> ProjectUpdate:
    """A dated public implementation update; followers are mailed."""
    require(permissions.can_review_project(actor, project))
    if project.implementation_status is None:
        raise InvalidTransition(_("Only selected projects are tracked."))
    errors = {}
    try:
        new = ImplementationStatus(status)
    except ValueError:
        raise ValidationError(fields={"status": _("Choose a status from the list.")}) from None
    if progress is None or not 0 <= progress <= 100:
        errors["progress"] = _("Give a percentage between 0 and 100.")
    cancel_reason = clean_text(cancel_reason, multiline=True)
    if new == ImplementationStatus.CANCELLED and not cancel_reason:
        errors["cancel_reason"] = _("Explain publicly why the project is cancelled.")
    if not clean_text(body, multiline=True) and new == project.implementation_status and progress == project.progress:
        errors["body"] = _("Write what changed.")
    if errors:
        raise ValidationError(fields=errors)
    # Audited below as "budget.project_update" with the progress, as before the flow helper.
    transition(project, IMPLEMENTATION_FLOW, new, actor, None, attr="implementation_status")
    project.progress = 100 if new == ImplementationStatus.DONE else progress
    if new == ImplementationStatus.CANCELLED:
        project.cancel_reason = cancel_reason
    update = ProjectUpdate(project_id=project.id, author_id=actor.id, status=new, progress=project.progress,
                           body_html=render_markdown(body))
    db.session.add(update)
    db.session.flush()
    audit.record(actor, "budget.project_update", PROJECT_KIND, project.id, status=new.value,
                 progress=project.progress, reason=cancel_reason or None)
    url = absolute_url("budgets.project", project_id=project.id)
    for person in followers(PROJECT_KIND, project.id):
        queue_mail(person.email, lambda: _("News of a project you follow"), "budgets/project_update",
                   {"user": person, "project": project, "update": update, "url": url,
                    "body": clean_text(body, multiline=True)},
                   user=person, topic=f"follow:{PROJECT_KIND}:{project.id}",
                   dedupe_key=f"budget-update:{update.id}:{person.id}")
    events.emit(PROJECT_KIND, project.id, "implementation_update", actor_id=actor.id,
                data={"status": new.value, "progress": project.progress})
    return update


def edition_progress(edition: BudgetEdition) -> dict | None:
    """Overall progress: mean progress of selected projects not cancelled."""
    rows = db.session.execute(sa.select(Project.implementation_status, Project.progress).where(
        Project.edition_id == edition.id, Project.implementation_status.is_not(None))).all()
    if not rows:
        return None
    active = [p for s, p in rows if s != ImplementationStatus.CANCELLED]
    counts = {s: 0 for s in ImplementationStatus}
    for s, _p in rows:
        counts[s] += 1
    return {"percent": round(sum(active) / len(active)) if active else 0, "counts": counts, "total": len(rows)}
