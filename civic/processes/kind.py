"""The one declaration of the processes module: its blueprint, the
"process", "proposal" and "amendment" content kinds and their hooks, the home
section, navigation, periodic job, privacy export/erase/notice and Jinja
globals. ``civic.processes.init_app`` only calls :func:`declare`.
Registrations are idempotent (tests create many apps)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import format_date, pgettext
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from civic.accounts import privacy
from civic.core import content, phases, pictures
from civic.core.datasets import register_dataset
from civic.core.export import iso
from civic.core.jobs import register_periodic
from civic.core.nav import register_nav
from civic.core.permissions import OFFICIAL, staff_scope
from civic.core.sanitize import clean_text, render_markdown
from civic.core.series import Series, register_series
from civic.core.time import last_day, utcnow
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.processes import api, demo, jobs, opendata, permissions, series, services, views  # noqa: F401  (api and demo register at import)
from civic.processes.models import Amendment, Process, Proposal, ProposalState, ProposalVersion, Support


def _url(endpoint: str, anchor: str | None = None, **values) -> str:
    """Relative URL in a request, absolute (from BASE_URL) in jobs and CLI."""
    if anchor:
        values["_anchor"] = anchor
    if has_request_context():
        return url_for(endpoint, **values)
    return absolute_url(endpoint, **values)


# --- hooks of the "proposal" and "amendment" kinds --------------------------------

def excerpt(item) -> str:
    return f"{item.title}: {item.body[:300]}"


def set_hidden(obj, hidden: bool) -> None:
    obj.hidden = bool(hidden)
    db.session.flush()


def redact_proposal(p: Proposal, new_text: str) -> None:
    """Replace the text (moderation keeps the original), in the stored
    versions that showed the same text too, so the history does not leak it."""
    old_html = p.body_html
    p.body = clean_text(new_text, multiline=True)
    p.body_html = render_markdown(p.body)
    p.search_text = services.normalise_search(f"{p.title} {p.body}")
    db.session.execute(sa.update(ProposalVersion).where(ProposalVersion.proposal_id == p.id,
                                                        ProposalVersion.body_html == old_html)
                       .values(body_html=p.body_html).execution_options(synchronize_session=False))
    db.session.flush()


def redact_amendment(a: Amendment, new_text: str) -> None:
    a.body = clean_text(new_text, multiline=True)
    a.body_html = render_markdown(a.body)
    db.session.flush()


def proposals_by(user_id: int) -> list:
    return db.session.scalars(sa.select(Proposal).where(Proposal.author_id == user_id)).all()


def amendments_by(user_id: int) -> list:
    return db.session.scalars(sa.select(Amendment).where(Amendment.author_id == user_id)).all()


def comments_open(p: Proposal) -> bool:
    return not p.hidden and p.state != ProposalState.WITHDRAWN and phases.allows("process", p.process_id, "comment")


def comment_count_changed(p: Proposal, count: int) -> None:
    """Called by the deliberation module with the number of visible comments
    of a proposal: it feeds the "most commented" order."""
    p.comment_count = max(0, int(count))
    db.session.flush()


def owed_answers() -> list[dict]:
    """Proposals in the officials' queue: over their support threshold (or
    every proposal when the process has none), or taken up for evaluation."""
    rows = db.session.scalars(
        sa.select(Proposal).join(Process, Process.id == Proposal.process_id).where(
            Proposal.queued_at.is_not(None), Proposal.hidden.is_(False), Process.published_at.is_not(None),
            # A proposal withdrawn before any answer owes nothing any more.
            sa.or_(Proposal.state != ProposalState.WITHDRAWN, Proposal.answered_at.is_not(None)))
        .options(selectinload(Proposal.process)).order_by(Proposal.answer_due_at, Proposal.id)).all()
    return [{"kind": "proposal", "id": p.id, "title": p.title,
             "url": _url("processes.proposal", proposal_id=p.id),
             "district_id": permissions.answering_district(p),
             "owed_since": p.queued_at, "due_at": p.answer_due_at, "answered_at": p.answered_at} for p in rows]


# --- the back office (/admin) ------------------------------------------------------------

def admin_spaces(actor) -> list[dict]:
    """Processes the actor manages (drafts included, with their preview), in
    their districts, with the current phase: two queries."""
    rows = [p for p in db.session.scalars(sa.select(Process).where(
        staff_scope(actor, Process.district_id, OFFICIAL)).order_by(Process.id.desc())).all()
        if permissions.can_manage_process(actor, p)]
    current = phases.current_titles("process", [p.id for p in rows])
    out = []
    for p in rows:
        url = _url("processes.show", process_id=p.id)
        state = (_("Draft") if not p.is_published else pgettext("process state", "Archived") if p.last_phase_entered
                 else pgettext("process state", "Published"))
        out.append({"kind": "process", "id": p.id, "title": p.title, "url": url, "state": state,
                    "phase": current.get(p.id), "is_draft": not p.is_published, "district_id": p.district_id,
                    "preview_url": url if not p.is_published else None})
    return out


def attention(actor) -> list[dict]:
    """Proposals in the officials' queue still waiting for their answer, with
    its due date: two queries (the proposals, their processes)."""
    now = utcnow()
    rows = db.session.scalars(
        sa.select(Proposal).join(Process, Process.id == Proposal.process_id).where(
            Proposal.queued_at.is_not(None), Proposal.answered_at.is_(None), Proposal.hidden.is_(False),
            Process.published_at.is_not(None), Proposal.state != ProposalState.WITHDRAWN,
            sa.or_(staff_scope(actor, Proposal.district_id, OFFICIAL), staff_scope(actor, Process.district_id, OFFICIAL)))
        .options(selectinload(Proposal.process)).order_by(Proposal.answer_due_at, Proposal.id)).all()
    return [{"kind": "proposal", "id": p.id, "title": p.title, "url": _url("processes.official", proposal_id=p.id),
             "what": _("Official answer due"), "due_at": p.answer_due_at,
             "late": p.answer_due_at is not None and p.answer_due_at < now}
            for p in rows if permissions.can_answer_proposal(actor, p)]


def create_links(actor) -> list[tuple[str, str]]:
    if permissions.can_create_process(actor):
        return [(_("Create a process"), _url("processes.new_process"))]
    return []


def _register_kinds() -> None:
    content.register_kind(content.ContentKind(
        name="process", model=Process, label=lambda: _("Participatory process"), title=lambda p: p.title,
        url=lambda p: _url("processes.show", process_id=p.id), can_view=permissions.can_view_process,
        author_id=lambda p: None, district_id=lambda p: p.district_id,
        hooks={"followable": True, "phase_changed": services.on_phase_changed,
               "admin_spaces": admin_spaces, "attention": attention, "create_links": create_links,
               "search_document": process_document, "search_documents": lambda: db.session.scalars(
                   sa.select(Process).where(Process.published_at.is_not(None))),
               "search_related": lambda p: db.session.scalars(
                   sa.select(Proposal).where(Proposal.process_id == p.id)).all(),
               "events": {"phase_changed": "progress", "results_published": "progress"},
               "verification_actions": lambda: ["support"], "can_manage": permissions.can_manage_process}))
    content.register_kind(content.ContentKind(
        name="proposal", model=Proposal, label=lambda: _("Proposal"), title=lambda p: p.title,
        url=lambda p: _url("processes.proposal", proposal_id=p.id), can_view=permissions.can_view_proposal,
        author_id=lambda p: p.author_id, district_id=permissions.answering_district,
        hooks={"excerpt": excerpt, "set_hidden": set_hidden, "redact": redact_proposal,
               "text": lambda p: p.body, "authored_by": proposals_by,
               "context": lambda p: (p.process.title, _url("processes.show", process_id=p.process_id)),
               "comments": {"alignment": True}, "comments_open": comments_open, "followable": True,
               "owed_answers": owed_answers, "comment_count_changed": comment_count_changed,
               "search_document": proposal_document, "search_documents": lambda: db.session.scalars(
                   sa.select(Proposal).join(Process).where(Process.published_at.is_not(None),
                                                           Proposal.hidden.is_(False))
                   .options(selectinload(Proposal.process))),
               "events": {"answered": "answers", "threshold_reached": "progress", "implementation_update": "progress"}}))
    content.register_kind(content.ContentKind(
        name="amendment", model=Amendment, label=lambda: _("Amendment"),
        title=lambda a: _("Amendment to “%(title)s”", title=a.proposal.title),
        url=lambda a: _url("processes.proposal", anchor=f"amendment-{a.id}", proposal_id=a.proposal_id),
        can_view=permissions.can_view_amendment,
        author_id=lambda a: a.author_id, district_id=lambda a: a.proposal.district_id,
        hooks={"excerpt": excerpt, "set_hidden": set_hidden,
               "redact": redact_amendment, "text": lambda a: a.body, "authored_by": amendments_by,
               "context": lambda a: (a.proposal.title, _url("processes.proposal", proposal_id=a.proposal_id))}))


# --- the site-wide search ---------------------------------------------------------

def process_document(process: Process) -> dict | None:
    """A published process as the search shows it."""
    if not permissions.can_view_process(None, process):
        return None
    return {"title": process.title, "body": "\n\n".join(x for x in (process.summary, process.description) if x),
            "url": _url("processes.show", process_id=process.id), "district_id": process.district_id,
            "published_at": process.published_at}


def proposal_document(proposal: Proposal) -> dict | None:
    """A visible proposal (its process published, not hidden); never its author."""
    if not permissions.can_view_proposal(None, proposal):
        return None
    return {"title": proposal.title, "body": proposal.body,
            "url": _url("processes.proposal", proposal_id=proposal.id),
            "district_id": proposal.district_id or proposal.process.district_id, "published_at": proposal.created_at}


# --- home, privacy ---------------------------------------------------------------

def home_section(user):
    rows, _more = services.list_processes(user, open_only=True, limit=6)
    if not rows:
        return None
    current = services.current_phases([p.id for p in rows])
    items = []
    for p in rows:
        phase = current.get(p.id)
        detail = p.summary
        if phase is not None:
            # ends_at is the exclusive bound: "until" names the last day included.
            detail = (_("%(phase)s until %(date)s", phase=phase.title, date=format_date(last_day(phase.ends_at), "long"))
                      if phase.ends_at else _("Now: %(phase)s", phase=phase.title))
        items.append({"title": p.title, "url": url_for("processes.show", process_id=p.id), "detail": detail})
    return {"title": _("Participatory processes"),
            "intro": _("Propose ideas, support the ones you like, and see what the city answers."),
            "items": items, "more_url": url_for("processes.index"), "more_label": _("All processes")}


def export_personal_data(user) -> dict:
    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.author_id == user.id)).all()
    supports = db.session.execute(sa.select(Support, Proposal.title).join(Proposal, Proposal.id == Support.proposal_id)
                                  .where(Support.user_id == user.id)).all()
    amendments = db.session.scalars(sa.select(Amendment).where(Amendment.author_id == user.id)).all()
    return {
        "proposals": [{"id": p.id, "title": p.title, "state": p.state.value,
                       "created_at": iso(p.created_at)} for p in proposals],
        "supports": [{"proposal_id": s.proposal_id, "proposal": title, "email_me_the_answer": s.notify,
                      "created_at": iso(s.created_at)} for s, title in supports],
        "amendments": [{"id": a.id, "proposal_id": a.proposal_id, "state": a.state.value,
                        "created_at": iso(a.created_at)} for a in amendments],
    }


def erase_personal_data(user) -> None:
    """Supports keep counting but are no longer linked to the person;
    proposals and amendments stay, shown as from a deleted account."""
    db.session.execute(sa.update(Support).where(Support.user_id == user.id).values(user_id=None, notify=False)
                       .execution_options(synchronize_session=False))


def privacy_notice() -> dict:
    return {"title": _("Participatory processes"), "rows": [
        (_("Your proposals and amendments, with your display name"),
         _("Shown publicly: they are contributions to a public debate"),
         _("As long as the process is online; your name is removed if you delete your account")),
        (_("The proposals you support, and whether you want the answer by email"),
         _("To count supports once per person and mail you the answer; never shown to others"),
         _("Until you delete your account; the support then stays counted without your name")),
    ]}


def declare(app) -> None:
    """Everything the processes module registers (called by ``init_app``)."""
    if "processes" not in app.blueprints:
        app.register_blueprint(views.bp)
    # A global, not a context processor: imported macros see it too.
    app.jinja_env.globals["processes_permissions"] = permissions
    _register_kinds()
    content.register_home_section(home_section)
    register_nav(lambda: _("Processes"), "processes.index", order=35)
    register_periodic("processes.recount_supports", jobs.recount_supports, 3600)
    # The daily open data series: recomputed hourly (yesterday and today), backfilled by
    # ``flask civic backfill-series``, published through the dataset registry.
    register_periodic("processes.daily", series.refresh_daily, 3600)
    register_series(Series("processes", series.refresh_days, series.first_day, job="processes.daily"))
    register_dataset(series.dataset())
    privacy.register_exporter("processes", export_personal_data)
    privacy.register_eraser(erase_personal_data)
    # Pictures stay with their item, which stays too, without the uploader's link.
    privacy.register_eraser(pictures.erase_uploader)
    privacy.register_privacy_notice(privacy_notice)
    opendata.register()
