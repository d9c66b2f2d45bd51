"""The one declaration of the consultations module: its blueprint and API
routes, the content kind and its hooks, the home section, navigation, the
periodic job, the privacy notice, exporter and eraser, the demo loader and
the Jinja globals. Registrations are idempotent (tests create many apps)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import user_logged_out

from civic.accounts import privacy
from civic.core import content
from civic.core.datasets import register_dataset
from civic.core.jobs import register_periodic
from civic.core.nav import register_nav
from civic.core.permissions import OFFICIAL, staff_scope
from civic.core.sanitize import clean_text, render_markdown
from civic.core.series import Series, register_series
from civic.core.time import utcnow
from civic.extensions import db

from . import (
    api,  # noqa: F401  (adds routes to the API blueprint at import)
    demo,  # noqa: F401  (registers the demo loader)
    jobs,
    opendata,
    permissions,
    series,
    services,
    views,
)
from .models import Consultation, ConsultationParticipation, Status
from .tally import K_ANONYMITY

# --- the content kind's hooks ----------------------------------------------------------


def _url(c) -> str:
    return url_for("consultations.detail", consultation_id=c.id)


def _set_hidden(c, hidden: bool) -> None:
    c.hidden = bool(hidden)


def _excerpt(c) -> str:
    return c.context_md[:300]


def _redact(c, new_text: str) -> None:
    c.context_md = clean_text(new_text, multiline=True)
    c.context_html = render_markdown(new_text)


def _comments_open(c) -> bool:
    return c.phase() in ("open", "closed")


def _authored_by(user_id: int) -> list:
    return db.session.scalars(sa.select(Consultation).where(Consultation.author_id == user_id)).all()


# --- home page ---------------------------------------------------------------------------

def _search_document(c) -> dict | None:
    """A published consultation, with what was heard once it is out; never its author."""
    if not permissions.can_view_consultation(None, c):
        return None
    return {"title": c.title, "body": "\n\n".join(x for x in (c.context_md, c.heard_md) if x), "url": _url(c),
            "district_id": c.district_id, "published_at": c.published_at}


def _home_section(user):
    now = utcnow()
    rows = db.session.scalars(sa.select(Consultation).where(
        Consultation.status == Status.PUBLISHED, Consultation.hidden.is_(False), Consultation.opens_at <= now,
        Consultation.closes_at > now).order_by(Consultation.closes_at).limit(4)).all()
    return {"title": _("Consultations open now"),
            "intro": _("Give your opinion: the city publishes the results and what it decided."),
            "items": [{"title": c.title, "url": _url(c),
                       "detail": _("Open until %(date)s", date=format_date(c.closes_on, "long"))}
                      for c in rows],
            "more_url": url_for("consultations.index", show="open")}


# --- privacy ------------------------------------------------------------------------------

def _privacy_notice():
    return {"title": _("Consultations"), "rows": [
        (_("That you answered a consultation, and the day (not the time)"),
         _("To let each person answer once, and to count participation."),
         _("As long as the consultation is published; the link to your account goes when you delete it.")),
        (_("Your answers"),
         _("To compute and publish the results. Answers are stored apart from the record that you answered, with "
           "no link between the two: no account, no shared number, no time. Only your district is kept with them, "
           "and results by district are published only for groups of at least %(k)d people. When the consultation "
           "closes, the answers are rewritten in random order under new numbers.", k=K_ANONYMITY),
         _("Kept to allow the results to be checked; they cannot be traced back to you.")),
        (_("Edit code"),
         _("To let you change your answers until closing without us storing which answers are yours: the code "
           "is shown to you once and kept in your browser's session; we keep only a one-way fingerprint. It is "
           "never emailed, because mail records are kept next to your address."),
         _("Until the consultation closes; it is dropped from your browser when you log out.")),
        (_("Free-text answers"),
         _("Published only after a moderator checked that they contain no personal data, or never if the "
           "consultation keeps them private."),
         _("Like the other answers.")),
    ]}


def export_participations(user) -> list[dict]:
    """The person's data export: which consultations they answered, and when (never the answers)."""
    rows = db.session.execute(
        sa.select(Consultation.title, ConsultationParticipation.answered_on, ConsultationParticipation.on_paper,
                  ConsultationParticipation.notify)
        .join(Consultation, Consultation.id == ConsultationParticipation.consultation_id)
        .where(ConsultationParticipation.user_id == user.id).order_by(ConsultationParticipation.id)).all()
    return [{"consultation": t, "answered_on": d.isoformat(), "on_paper": p, "mail_when_published": n,
             "answers": _("Your answers are stored without any link to you, so they cannot be listed here.")}
            for t, d, p, n in rows]


def erase_participations(user) -> None:
    """Account deletion: the count of participants stays right; the person goes."""
    db.session.execute(sa.update(ConsultationParticipation).where(ConsultationParticipation.user_id == user.id)
                       .values(user_id=None, notify=False))


# --- the declaration ------------------------------------------------------------------------

def _counter_section(user) -> dict | None:
    """Consultations open now whose paper questionnaires this mediator may type in."""
    now = utcnow()
    rows = db.session.scalars(sa.select(Consultation).where(
        Consultation.status == Status.PUBLISHED, Consultation.opens_at <= now, Consultation.closes_at > now)
        .order_by(Consultation.closes_at)).all()
    items = [{"title": c.title, "url": url_for("consultations.paper", consultation_id=c.id),
              "detail": _("paper questionnaires")} for c in rows if permissions.can_record_paper_response(user, c)]
    return {"title": _("Consultations: paper questionnaires"), "items": items}


# --- the back office (/admin) ------------------------------------------------------------

def _state_label(c, now) -> str:
    phase = c.phase(now)
    if phase == "draft":
        return _("Draft")
    if phase == "upcoming":
        return _("Opens on %(date)s", date=format_date(c.opens_on))
    if phase == "open":
        return _("Open until %(date)s", date=format_date(c.closes_on))
    return _("Closed on %(date)s", date=format_date(c.closes_on))


def _admin_spaces(actor) -> list[dict]:
    """Consultations the actor manages, drafts included, in their districts: one query."""
    now = utcnow()
    rows = db.session.scalars(sa.select(Consultation).where(
        staff_scope(actor, Consultation.district_id, OFFICIAL)).order_by(Consultation.id.desc())).all()
    return [{"kind": "consultation", "id": c.id, "title": c.title, "url": _url(c), "state": _state_label(c, now),
             "phase": None, "is_draft": c.status == Status.DRAFT, "district_id": c.district_id,
             "preview_url": _url(c) if c.status == Status.DRAFT else None}
            for c in rows if permissions.can_manage_consultation(actor, c)]


def _attention(actor) -> list[dict]:
    """Consultations past their closing date still open (the closing job is
    late), and closed ones whose follow-up is owed, with its due date: one query."""
    now = utcnow()
    rows = db.session.scalars(sa.select(Consultation).where(
        Consultation.status != Status.DRAFT, Consultation.hidden.is_(False), Consultation.closes_at <= now,
        Consultation.followup_published_at.is_(None), staff_scope(actor, Consultation.district_id, OFFICIAL))
        .order_by(Consultation.results_due_at)).all()
    out = []
    for c in rows:
        if not permissions.can_manage_consultation(actor, c):
            continue
        if c.status == Status.PUBLISHED:
            out.append({"kind": "consultation", "id": c.id, "title": c.title,
                        "url": url_for("consultations.manage", consultation_id=c.id),
                        "what": _("Consultation to close"), "due_at": c.closes_at, "late": False})
        else:
            due = services.due_instant(c)
            out.append({"kind": "consultation", "id": c.id, "title": c.title,
                        "url": url_for("consultations.followup", consultation_id=c.id),
                        "what": _("Follow-up to publish"), "due_at": due, "late": due < now})
    return out


def _create_links(actor) -> list[tuple[str, str]]:
    if permissions.can_draft_consultations(actor):
        return [(_("New consultation"), url_for("consultations.new"))]
    return []


def declare(app) -> None:
    if "consultations" not in app.blueprints:
        app.register_blueprint(views.bp)
    content.register_kind(content.ContentKind(
        name="consultation", model=Consultation, label=lambda: _("Consultation"), title=lambda c: c.title, url=_url,
        can_view=permissions.can_view_consultation, author_id=lambda c: c.author_id,
        district_id=lambda c: c.district_id,
        hooks={"followable": True, "events": {"followup_published": "answers"},
               "owed_answers": services.owed_answers, "set_hidden": _set_hidden,
               "excerpt": _excerpt, "text": lambda c: c.context_md, "redact": _redact, "authored_by": _authored_by,
               "comments": {"alignment": False}, "comments_open": _comments_open,
               "conversations": True,
               "admin_spaces": _admin_spaces, "attention": _attention, "create_links": _create_links, "search_document": _search_document,
               "search_documents": lambda: db.session.scalars(sa.select(Consultation).where(
                   Consultation.status != Status.DRAFT, Consultation.hidden.is_(False))),
               "verification_actions": lambda: ["answer"], "can_manage": permissions.can_manage_consultation}))
    content.register_home_section(_home_section)
    content.register_counter_section(_counter_section)
    register_nav(lambda: _("Consultations"), "consultations.index", order=40)
    register_periodic("consultations.close_due", jobs.close_due, 60)
    # The daily open data series: recomputed hourly (yesterday and today), backfilled by
    # ``flask civic backfill-series``, published through the dataset registry.
    register_periodic("consultations.daily", series.refresh_daily, 3600)
    register_series(Series("consultations", series.refresh_days, series.first_day, job="consultations.daily"))
    register_dataset(series.dataset())
    privacy.register_privacy_notice(_privacy_notice)
    opendata.register()
    privacy.register_exporter("consultations", export_participations)
    privacy.register_eraser(erase_participations)
    user_logged_out.connect(views.forget_codes, app)
    # Globals, not a context processor: imported macros see them too.
    app.jinja_env.globals["consultations_permissions"] = permissions
