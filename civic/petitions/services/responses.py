"""What follows a petition's signatures: the official response, the outcome
of the public debate, and the creator's updates to the signers, each mailed
in batches to the signers who asked for news."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core import audit, events
from civic.core.errors import InvalidTransition, RateLimited, ValidationError
from civic.core.jobs import enqueue
from civic.core.permissions import require
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions import jobs, permissions
from civic.petitions import settings as psettings
from civic.petitions.labels import DECISIONS
from civic.petitions.models import NewsKind, Petition, PetitionNews, PetitionState
from civic.petitions.services.checks import check_text

S = PetitionState


def _publish(actor, petition: Petition, news: PetitionNews, action: str, **data) -> PetitionNews:
    """Store ``news``, audit it, and have the opted-in signers mailed it in
    batches by a job after the commit."""
    db.session.add(news)
    petition.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, action, "petition", petition.id, **data)
    enqueue(jobs.mail_news, news.id)
    events.emit("petition", petition.id, "answered", actor_id=actor.id, data={"news": news.kind.value})
    return news


def publish_response(actor, petition: Petition, *, summary: str, body: str, decision: str) -> PetitionNews:
    """An official publishes the petition's response (summary, full text,
    decision). Signers who opted in are mailed it in batches."""
    require(permissions.can_respond_to_petition(actor, petition))
    if petition.state not in (S.OPEN, S.CLOSED):
        raise InvalidTransition()
    summary, errors = clean_text(summary, multiline=True), {}
    check_text(errors, "summary", summary, 600, _("Write a short summary of the response."))
    if not clean_text(body, multiline=True):
        errors["body"] = _("Write the full response.")
    if decision not in DECISIONS:
        errors["decision"] = _("Choose the decision taken.")
    if errors:
        raise ValidationError(fields=errors)
    if petition.answer("response"):
        raise InvalidTransition(_("This petition already has its official response."))
    news = PetitionNews(petition=petition, kind=NewsKind.RESPONSE, author_id=actor.id, summary=summary,
                        body_html=render_markdown(body), decision=decision, published_at=utcnow())
    return _publish(actor, petition, news, "petition.response_published", decision=decision)


def publish_debate(actor, petition: Petition, *, debate_date: date | None, summary: str, url: str,
                   body: str = "") -> PetitionNews:
    """Record the outcome of the public debate (date, summary, link)."""
    require(permissions.can_respond_to_petition(actor, petition))
    if petition.state not in (S.OPEN, S.CLOSED):
        raise InvalidTransition()
    summary, url, errors = clean_text(summary, multiline=True), clean_text(url), {}
    if debate_date is None:
        errors["debate_date"] = _("Enter the date of the debate.")
    check_text(errors, "summary", summary, 600, _("Write a short summary of the debate."))
    if url and (not re.match(r"^https?://[^\s]+$", url) or len(url) > 500):
        errors["url"] = _("Enter a web address starting with https://")
    if errors:
        raise ValidationError(fields=errors)
    if petition.answer("debate"):
        raise InvalidTransition(_("This petition already has its debate outcome."))
    news = PetitionNews(petition=petition, kind=NewsKind.DEBATE, author_id=actor.id, summary=summary,
                        body_html=render_markdown(body), debate_date=debate_date, debate_url=url or None,
                        published_at=utcnow())
    return _publish(actor, petition, news, "petition.debate_published")


def post_update(actor, petition: Petition, *, title: str, body: str) -> PetitionNews:
    """The creator writes to the signers who opted in, at most once every few hours."""
    require(permissions.can_post_update(actor, petition))
    if petition.state not in (S.OPEN, S.CLOSED):
        raise InvalidTransition()
    title, errors = clean_text(title), {}
    text = clean_text(body, multiline=True)
    check_text(errors, "title", title, 120, _("Give your update a title."))
    check_text(errors, "body", text, 2000, _("Write your update."))
    if errors:
        raise ValidationError(fields=errors)
    hours = psettings.load()["update_hours"]
    last = db.session.scalar(sa.select(sa.func.max(PetitionNews.published_at)).where(
        PetitionNews.petition_id == petition.id, PetitionNews.kind == NewsKind.UPDATE))
    if last is not None and last > utcnow() - timedelta(hours=hours):
        wait = int((last + timedelta(hours=hours) - utcnow()).total_seconds())
        raise RateLimited(_("You can send one update every %(n)d hours, so signers are not flooded.", n=hours),
                          retry_after=max(wait, 1))
    news = PetitionNews(petition=petition, kind=NewsKind.UPDATE, author_id=actor.id, title=title,
                        summary=text[:600], body_html=render_markdown(text), published_at=utcnow())
    return _publish(actor, petition, news, "petition.update_posted")
