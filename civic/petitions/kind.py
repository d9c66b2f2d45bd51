"""The one declaration of the petitions module: what it registers with the
application and gives the generic modules through the content registry
(moderation, deliberation, accountability, home page, privacy), with the
bodies of its hooks."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.accounts import privacy
from civic.cli import civic_cli
from civic.core import content, metrics
from civic.core.content import ContentKind
from civic.core.datasets import register_dataset
from civic.core.jobs import register_periodic
from civic.core.nav import register_nav
from civic.core.permissions import MODERATOR, OFFICIAL, staff_scope
from civic.core.series import Series, register_series
from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions import (
    api,  # noqa: F401  (adds the API routes at import time)
    caching,
    cli,
    demo,
    jobs,
    labels,
    legal_views,  # noqa: F401  (adds the legal requests' routes at import time)
    opendata,
    permissions,
    series,
    services,
    settings,
    tally,
    views,
)
from civic.petitions.models import PUBLIC_STATES, NewsKind, Petition, PetitionNews, PetitionState
from civic.petitions.services import legal

S = PetitionState


def counter_section(user) -> dict | None:
    """Open petitions whose paper signatures this mediator may enter."""
    rows = db.session.scalars(sa.select(Petition).where(Petition.state == PetitionState.OPEN)
                              .order_by(Petition.closes_at)).all()
    items = [{"title": p.title, "url": url_for("petitions.paper", petition_id=p.id),
              "detail": _("paper signatures")} for p in rows if permissions.can_record_paper_signatures(user, p)]
    return {"title": _("Petitions: paper signatures"), "items": items}


def declare(app) -> None:
    """Register everything the petitions module brings (idempotent: tests
    create many apps in one process)."""
    app.register_blueprint(views.bp)
    # The two URLs a surge hits: the page (anonymous visitors) and the count it polls.
    caching.register()
    if app.config.get("BENCH_ENDPOINTS"):
        from civic.petitions import bench_views  # never imported in production

        app.register_blueprint(bench_views.bp)
    app.jinja_env.globals["petitions_permissions"] = permissions
    content.register_kind(ContentKind(
        name="petition", model=Petition, label=lambda: str(_l("Petition")), title=lambda p: p.title,
        url=lambda p: url_for("petitions.detail", petition_id=p.id), can_view=permissions.can_view_petition,
        author_id=lambda p: p.creator_id, district_id=lambda p: p.district_id,
        hooks={"excerpt": excerpt, "set_hidden": services.set_hidden, "text": text, "authored_by": authored_by,
               "context": context, "comments": {"alignment": False}, "comments_open": comments_open,
               "owed_answers": owed_answers, "followable": True,
               "admin_spaces": admin_spaces, "attention": attention, "create_links": create_links,
               "search_document": search_document, "search_documents": search_documents,
               "events": {"answered": "answers", "threshold_reached": "progress"},
               "verification_actions": lambda: ["sign"], "can_manage": permissions.can_moderate_petition}))
    content.register_home_section(home_section)
    content.register_counter_section(counter_section)
    register_nav(lambda: str(_l("Petitions")), "petitions.index", order=20)
    settings.register()
    metrics.register_gauges(tally.metrics)
    register_periodic("petitions.tally", tally.tally_signatures, settings.TALLY_SECONDS)
    register_periodic("petitions.reconcile", tally.reconcile_counts, 86400)
    register_periodic("petitions.close", jobs.close_due_petitions, 60)
    register_periodic("petitions.signature_mails", jobs.sweep_signature_mails, 30)
    register_periodic("petitions.news_mails", jobs.sweep_news_mailings, 300)
    register_periodic("petitions.traffic_report", jobs.traffic_report, 3600)
    register_periodic("petitions.retention", jobs.anonymise_expired_signers, 86400)
    # The daily open data series: recomputed hourly (yesterday and today), backfilled by
    # ``flask civic backfill-series``, published through the dataset registry.
    register_periodic("petitions.daily", series.refresh_daily, 3600)
    register_series(Series("petitions", series.refresh_days, series.first_day, job="petitions.daily"))
    register_dataset(series.dataset())
    privacy.register_exporter("petitions", services.export_for)
    privacy.register_eraser(services.erase_for)
    privacy.register_privacy_notice(privacy_notice)
    demo.register()
    opendata.register()
    if "petitions" not in civic_cli.commands:
        civic_cli.add_command(cli.petitions_group)


# --- hooks of the "petition" kind -------------------------------------------------------

def excerpt(petition: Petition) -> str:
    return f"{petition.title} — {petition.background}"[:300]


def text(petition: Petition) -> str:
    return "\n\n".join(x for x in (petition.title, petition.background, petition.details) if x)


def authored_by(user_id: int) -> list[Petition]:
    return db.session.scalars(sa.select(Petition).where(Petition.creator_id == user_id)).all()


def context(_petition: Petition):
    return None  # a petition has no parent item


def search_document(petition: Petition) -> dict | None:
    """What the site-wide search shows of a public petition (never its creator)."""
    if not permissions.can_view_petition(None, petition):
        return None
    return {"title": petition.title, "body": "\n\n".join(x for x in (petition.background, petition.details) if x),
            "url": url_for("petitions.detail", petition_id=petition.id), "district_id": petition.district_id,
            "published_at": petition.opened_at}


def search_documents():
    return db.session.scalars(sa.select(Petition).where(Petition.state.in_(PUBLIC_STATES)))


def comments_open(petition: Petition) -> bool:
    # Closed petitions close their comments; only an open petition takes new ones.
    return petition.state == S.OPEN


def owed_answers() -> list[dict]:
    """Petitions over their response threshold owe an official response by a
    due date; legal requests owe the council's decision (with their dated
    steps under ``steps``)."""
    rows = db.session.execute(
        sa.select(Petition, PetitionNews.published_at)
        .outerjoin(PetitionNews, sa.and_(PetitionNews.petition_id == Petition.id,
                                         PetitionNews.kind == NewsKind.RESPONSE))
        .where(Petition.response_threshold_at.is_not(None), Petition.state.in_([S.OPEN, S.CLOSED]),
               Petition.legal_kind.is_(None))
        .order_by(Petition.response_due_at)).all()
    # Requests to the council (L1112-16) owe the council's decision by its first session after receipt.
    return legal.owed_answers() + [{"kind": "petition", "id": p.id, "title": p.title,
             "url": url_for("petitions.detail", petition_id=p.id), "district_id": p.district_id,
             "owed_since": p.response_threshold_at, "due_at": p.response_due_at, "answered_at": answered}
            for p, answered in rows]


# --- the back office (/admin) ------------------------------------------------------------

def admin_spaces(actor) -> list[dict]:
    """Petitions past their author's draft that the actor moderates or answers
    for (their districts only): one query."""
    rows = db.session.scalars(sa.select(Petition).where(
        Petition.state != S.DRAFT, staff_scope(actor, Petition.district_id, MODERATOR, OFFICIAL))
        .order_by(Petition.id.desc())).all()
    names = labels.state_labels()
    return [{"kind": "petition", "id": p.id, "title": p.title,
             "url": url_for("petitions.detail", petition_id=p.id), "state": names.get(p.state, p.state),
             "phase": None, "is_draft": False, "district_id": p.district_id, "preview_url": None}
            for p in rows if permissions.can_moderate_petition(actor, p)
            or permissions.can_respond_to_petition(actor, p)]


def attention(actor) -> list[dict]:
    """Petitions waiting for their moderators, and official responses owed
    (past the response threshold, not yet answered): two queries."""
    now = utcnow()
    waiting = db.session.scalars(sa.select(Petition).where(
        Petition.state == S.MODERATION, staff_scope(actor, Petition.district_id, MODERATOR))
        .order_by(Petition.moderation_at)).all()
    rows = [{"kind": "petition", "id": p.id, "title": p.title,
             "url": url_for("petitions.moderate", petition_id=p.id),
             "what": _("Petition awaiting moderation"), "due_at": None, "late": False}
            for p in waiting if permissions.can_moderate_petition(actor, p)]
    answered = sa.select(PetitionNews.id).where(PetitionNews.petition_id == Petition.id,
                                                 PetitionNews.kind == NewsKind.RESPONSE).exists()
    owed = db.session.scalars(sa.select(Petition).where(
        Petition.response_threshold_at.is_not(None), Petition.state.in_([S.OPEN, S.CLOSED]), ~answered,
        staff_scope(actor, Petition.district_id, OFFICIAL)).order_by(Petition.response_due_at)).all()
    rows += [{"kind": "petition", "id": p.id, "title": p.title,
              "url": url_for("petitions.respond", petition_id=p.id), "what": _("Official response due"),
              "due_at": p.response_due_at, "late": p.response_due_at is not None and p.response_due_at < now}
             for p in owed if permissions.can_respond_to_petition(actor, p)]
    return rows


def create_links(actor) -> list[tuple[str, str]]:
    """Anyone who may contribute starts a petition; staff get the link too."""
    if permissions.can_create_petition(actor):
        return [(_("Start a petition"), url_for("petitions.new"))]
    return []


def home_section(_user) -> dict | None:
    rows = db.session.scalars(sa.select(Petition).where(Petition.state == S.OPEN)
                              .order_by(Petition.signature_count.desc(), Petition.id.desc()).limit(3)).all()
    return {"title": _("Petitions open for signatures"),
            "intro": _("Ask the city to act: past the threshold, it must answer in public."),
            "items": [{"title": p.title, "url": url_for("petitions.detail", petition_id=p.id),
                       "detail": ngettext("%(count)s signature", "%(count)s signatures", p.signature_count,
                                                  count=format_decimal(p.signature_count))}
                      for p in rows],
            "more_url": url_for("petitions.index")}


def privacy_notice() -> dict:
    return {"title": _("Petitions"), "rows": [
        (_("Signers' name, email address, postcode and IP address"),
         _("Confirm each signature, count one signature per person, place it in a district, detect mass "
           "signing, and mail the official response to those who asked for it"),
         _("Until some months after the petition closes (set by the administrators, six months by default); "
           "then erased. Counts by district are kept.")),
        (_("Requests to the council (art. L1112-16): the keyed hash of the signer's identity on the electoral "
           "roll, the authority and the quarter (never the names or birth dates)"),
         _("Apply the law's rule of one request per elector, authority and quarter, whichever account or paper "
           "sheet the elector signs with"),
         _("Until the quarter is over and the signers of the request are anonymised")),
        (_("Paper signatures recorded by a mediator: name, postcode, date"),
         _("Count signatures collected on paper"),
         _("Same as online signatures")),
    ]}
