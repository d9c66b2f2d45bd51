"""Participatory processes (phases) and the proposals made in them."""

from __future__ import annotations

from flask_babel import gettext as _


def _url(endpoint: str, anchor: str | None = None, **values) -> str:
    """Relative URL in a request, absolute (from BASE_URL) in jobs and CLI."""
    from flask import has_request_context, url_for

    from civic.core.urls import absolute_url

    if anchor:
        values["_anchor"] = anchor
    if has_request_context():
        return url_for(endpoint, **values)
    return absolute_url(endpoint, **values)


# --- hooks of the "proposal" kind ----------------------------------------------

def _excerpt(p) -> str:
    return f"{p.title}: {p.body[:300]}"


def _set_hidden(obj, hidden: bool) -> None:
    from civic.extensions import db

    obj.hidden = bool(hidden)
    db.session.flush()


def _redact_proposal(p, new_text: str) -> None:
    """Replace the text (moderation keeps the original), in the stored
    versions that showed the same text too, so the history does not leak it."""
    import sqlalchemy as sa

    from civic.core.sanitize import clean_text, render_markdown
    from civic.extensions import db
    from civic.processes.models import ProposalVersion
    from civic.processes.services import normalise_search

    old_html = p.body_html
    p.body = clean_text(new_text, multiline=True)
    p.body_html = render_markdown(p.body)
    p.search_text = normalise_search(f"{p.title} {p.body}")
    db.session.execute(sa.update(ProposalVersion).where(ProposalVersion.proposal_id == p.id,
                                                        ProposalVersion.body_html == old_html)
                       .values(body_html=p.body_html).execution_options(synchronize_session=False))
    db.session.flush()


def _redact_amendment(a, new_text: str) -> None:
    from civic.core.sanitize import clean_text, render_markdown
    from civic.extensions import db

    a.body = clean_text(new_text, multiline=True)
    a.body_html = render_markdown(a.body)
    db.session.flush()


def _proposals_by(user_id: int) -> list:
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.processes.models import Proposal

    return db.session.scalars(sa.select(Proposal).where(Proposal.author_id == user_id)).all()


def _amendments_by(user_id: int) -> list:
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.processes.models import Amendment

    return db.session.scalars(sa.select(Amendment).where(Amendment.author_id == user_id)).all()


def _comments_open(p) -> bool:
    from civic.core import phases

    return not p.hidden and p.state.value != "withdrawn" and phases.allows("process", p.process_id, "comment")


def _comment_count_changed(p, count: int) -> None:
    """Called by the deliberation module with the number of visible comments
    of a proposal: it feeds the "most commented" order."""
    from civic.extensions import db

    p.comment_count = max(0, int(count))
    db.session.flush()


def owed_answers() -> list[dict]:
    """Proposals in the officials' queue: over their support threshold (or
    every proposal when the process has none), or taken up for evaluation."""
    import sqlalchemy as sa
    from sqlalchemy.orm import selectinload

    from civic.extensions import db
    from civic.processes.models import Process, Proposal, ProposalState

    rows = db.session.scalars(
        sa.select(Proposal).join(Process, Process.id == Proposal.process_id).where(
            Proposal.queued_at.is_not(None), Proposal.hidden.is_(False), Process.published_at.is_not(None),
            # A proposal withdrawn before any answer owes nothing any more.
            sa.or_(Proposal.state != ProposalState.WITHDRAWN, Proposal.answered_at.is_not(None)))
        .options(selectinload(Proposal.process)).order_by(Proposal.answer_due_at, Proposal.id)).all()
    return [{"kind": "proposal", "id": p.id, "title": p.title,
             "url": _url("processes.proposal", proposal_id=p.id),
             "district_id": p.district_id if p.district_id is not None else p.process.district_id,
             "owed_since": p.queued_at, "due_at": p.answer_due_at, "answered_at": p.answered_at} for p in rows]


def _register_kinds() -> None:
    from civic.core import content
    from civic.processes import services
    from civic.processes.models import Amendment, Process, Proposal

    content.register_kind(content.ContentKind(
        name="process", model=Process, label=lambda: _("Participatory process"), title=lambda p: p.title,
        url=lambda p: _url("processes.show", process_id=p.id), can_view=services.can_view_process,
        author_id=lambda p: None, district_id=lambda p: p.district_id,
        hooks={"followable": True, "phase_changed": services.on_phase_changed}))
    content.register_kind(content.ContentKind(
        name="proposal", model=Proposal, label=lambda: _("Proposal"), title=lambda p: p.title,
        url=lambda p: _url("processes.proposal", proposal_id=p.id), can_view=services.can_view_proposal,
        author_id=lambda p: p.author_id,
        district_id=lambda p: p.district_id if p.district_id is not None else p.process.district_id,
        hooks={"excerpt": _excerpt, "set_hidden": _set_hidden, "redact": _redact_proposal,
               "text": lambda p: p.body, "authored_by": _proposals_by,
               "context": lambda p: (p.process.title, _url("processes.show", process_id=p.process_id)),
               "comments": {"alignment": True}, "comments_open": _comments_open, "followable": True,
               "owed_answers": owed_answers, "comment_count_changed": _comment_count_changed}))
    content.register_kind(content.ContentKind(
        name="amendment", model=Amendment, label=lambda: _("Amendment"),
        title=lambda a: _("Amendment to “%(title)s”", title=a.proposal.title),
        url=lambda a: _url("processes.proposal", anchor=f"amendment-{a.id}", proposal_id=a.proposal_id),
        can_view=lambda user, a: services.can_view_proposal(user, a.proposal) and (
            not a.hidden or services.is_user(user) and user.has_role("moderator", a.proposal.district_id)),
        author_id=lambda a: a.author_id, district_id=lambda a: a.proposal.district_id,
        hooks={"excerpt": lambda a: f"{a.title}: {a.body[:300]}", "set_hidden": _set_hidden,
               "redact": _redact_amendment, "text": lambda a: a.body, "authored_by": _amendments_by,
               "context": lambda a: (a.proposal.title, _url("processes.proposal", proposal_id=a.proposal_id))}))


# --- home, privacy ---------------------------------------------------------------

def _home_section(user):
    from flask import url_for

    from civic.processes import services

    rows, _more = services.list_processes(user, open_only=True, limit=6)
    if not rows:
        return None
    current = services.current_phases([p.id for p in rows])
    items = []
    for p in rows:
        phase = current.get(p.id)
        detail = p.summary
        if phase is not None:
            detail = (_("%(phase)s until %(date)s", phase=phase.title, date=_date(phase.ends_at))
                      if phase.ends_at else _("Now: %(phase)s", phase=phase.title))
        items.append({"title": p.title, "url": url_for("processes.show", process_id=p.id), "detail": detail})
    return {"title": _("Participatory processes"),
            "intro": _("Propose ideas, support the ones you like, and see what the city answers."),
            "items": items, "more_url": url_for("processes.index"), "more_label": _("All processes")}


def _date(value):
    from flask_babel import format_date

    return format_date(value, "long")


def _export(user) -> dict:
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.processes.models import Amendment, Proposal, Support

    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.author_id == user.id)).all()
    supports = db.session.execute(sa.select(Support, Proposal.title).join(Proposal, Proposal.id == Support.proposal_id)
                                  .where(Support.user_id == user.id)).all()
    amendments = db.session.scalars(sa.select(Amendment).where(Amendment.author_id == user.id)).all()
    return {
        "proposals": [{"id": p.id, "title": p.title, "state": p.state.value,
                       "created_at": p.created_at.isoformat() + "Z"} for p in proposals],
        "supports": [{"proposal_id": s.proposal_id, "proposal": title, "email_me_the_answer": s.notify,
                      "created_at": s.created_at.isoformat() + "Z"} for s, title in supports],
        "amendments": [{"id": a.id, "proposal_id": a.proposal_id, "state": a.state.value,
                        "created_at": a.created_at.isoformat() + "Z"} for a in amendments],
    }


def _erase(user) -> None:
    """Supports keep counting but are no longer linked to the person;
    proposals and amendments stay, shown as from a deleted account."""
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.processes.models import Support

    db.session.execute(sa.update(Support).where(Support.user_id == user.id).values(user_id=None, notify=False)
                       .execution_options(synchronize_session=False))


def _privacy_notice() -> dict:
    return {"title": _("Participatory processes"), "rows": [
        (_("Your proposals and amendments, with your display name"),
         _("Shown publicly: they are contributions to a public debate"),
         _("As long as the process is online; your name is removed if you delete your account")),
        (_("The proposals you support, and whether you want the answer by email"),
         _("To count supports once per person and mail you the answer; never shown to others"),
         _("Until you delete your account; the support then stays counted without your name")),
    ]}


def init_app(app):
    from civic.accounts import privacy
    from civic.core import content
    from civic.core.jobs import register_periodic
    from civic.core.nav import register_nav
    from civic.processes import api, demo, jobs, views  # noqa: F401  (api and demo register at import)

    if "processes" not in app.blueprints:
        app.register_blueprint(views.bp)
    _register_kinds()
    content.register_home_section(_home_section)
    register_nav(lambda: _("Processes"), "processes.index", order=35)
    register_periodic("processes.recount_supports", jobs.recount_supports, 3600)
    privacy.register_exporter("processes", _export)
    privacy.register_eraser(_erase)
    privacy.register_privacy_notice(_privacy_notice)
