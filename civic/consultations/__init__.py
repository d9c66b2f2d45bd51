"""Consultations: questionnaires, anonymous answers, results, official follow-up."""

from __future__ import annotations

from flask_babel import gettext as _


def _title(c) -> str:
    return c.title


def _url(c) -> str:
    from flask import url_for

    return url_for("consultations.detail", consultation_id=c.id)


def _can_view(user, c) -> bool:
    from . import services

    return services.can_view(user, c)


def _set_hidden(c, hidden: bool) -> None:
    c.hidden = bool(hidden)


def _excerpt(c) -> str:
    return c.context_md[:300]


def _redact(c, new_text: str) -> None:
    from civic.core.sanitize import clean_text, render_markdown

    c.context_md = clean_text(new_text, multiline=True)
    c.context_html = render_markdown(new_text)


def _comments_open(c) -> bool:
    return c.phase() in ("open", "closed")


def _authored_by(user_id: int) -> list:
    import sqlalchemy as sa

    from civic.extensions import db

    from .models import Consultation

    return db.session.scalars(sa.select(Consultation).where(Consultation.author_id == user_id)).all()


def _owed_answers():
    from . import services

    return services.owed_answers()


def _home_section(user):
    import sqlalchemy as sa
    from flask import url_for

    from civic.core.time import utcnow
    from civic.extensions import db

    from . import services
    from .models import Consultation, Status

    now = utcnow()
    rows = db.session.scalars(sa.select(Consultation).where(
        Consultation.status == Status.PUBLISHED, Consultation.hidden.is_(False), Consultation.opens_at <= now,
        Consultation.closes_at > now).order_by(Consultation.closes_at).limit(4)).all()
    return {"title": _("Consultations open now"),
            "intro": _("Give your opinion: the city publishes the results and what it decided."),
            "items": [{"title": c.title, "url": url_for("consultations.detail", consultation_id=c.id),
                       "detail": _("Open until %(date)s", date=_format_day(services.last_day(c.closes_at)))}
                      for c in rows],
            "more_url": url_for("consultations.index", show="open")}


def _format_day(day) -> str:
    from flask_babel import format_date

    return format_date(day, "long")


def _privacy_notice():
    from .services import K_ANONYMITY

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


def init_app(app):
    from flask_login import user_logged_out

    from civic.accounts import privacy
    from civic.core import content
    from civic.core.jobs import register_periodic
    from civic.core.nav import register_nav

    from . import (
        api,  # noqa: F401  (adds routes to the API blueprint at import)
        demo,  # noqa: F401  (registers the demo loader)
        jobs,
        services,
        views,
    )
    from .models import Consultation

    if "consultations" not in app.blueprints:
        app.register_blueprint(views.bp)
    content.register_kind(content.ContentKind(
        name="consultation", model=Consultation, label=lambda: _("Consultation"), title=_title, url=_url,
        can_view=_can_view, author_id=lambda c: c.author_id, district_id=lambda c: c.district_id,
        hooks={"followable": True, "owed_answers": _owed_answers, "set_hidden": _set_hidden, "excerpt": _excerpt,
               "text": lambda c: c.context_md, "redact": _redact, "authored_by": _authored_by,
               "comments": {"alignment": False}, "comments_open": _comments_open}))
    content.register_home_section(_home_section)
    register_nav(lambda: _("Consultations"), "consultations.index", order=40)
    register_periodic("consultations.close_due", jobs.close_due, 60)
    privacy.register_privacy_notice(_privacy_notice)
    privacy.register_exporter("consultations", services.export_participations)
    privacy.register_eraser(services.erase_participations)
    user_logged_out.connect(views.forget_codes, app)
