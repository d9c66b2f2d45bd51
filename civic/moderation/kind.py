"""The one declaration of the moderation module: what ``create_app`` plugs
in (blueprint, API routes, report panel, creation listener, home section,
footer link, settings, periodic jobs, privacy export/erase/notice, demo,
Jinja globals), and the bodies of the hooks it gives other modules."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from civic.accounts import privacy
from civic.core import content
from civic.core.jobs import register_periodic
from civic.core.nav import register_nav
from civic.core.permissions import is_user
from civic.core.settings import register_setting
from civic.moderation import (
    api,  # noqa: F401  (adds its routes to the API blueprint at import)
    demo,  # noqa: F401  (registers its demo loader at import)
    jobs,
    labels,
    opendata,
    permissions,
    services,
    settings,
    views,
)


def declare(app) -> None:
    if "moderation" not in app.blueprints:
        app.register_blueprint(views.bp)
    # Globals, not a context processor: imported macros and mail templates see them too.
    app.jinja_env.globals.update(moderation_reason=labels.reason_label, moderation_decision=labels.decision_label,
                                 moderation_appeal=labels.appeal_label, moderation_permissions=permissions)
    content.register_panel(report_panel, order=90)
    content.register_created_listener(services.on_item_created)
    content.register_home_section(home_section)
    content.register_attention(attention)
    register_nav(lambda: _l("Transparency"), "moderation.transparency", order=80, footer=True)
    for spec in settings.SPECS:
        register_setting(spec)
    opendata.register()
    register_periodic("moderation.digest", jobs.digest_job, 300)
    register_periodic("moderation.expire_blocks", jobs.expire_blocks_job, 600)
    privacy.register_exporter("moderation", services.export_personal_data)
    privacy.register_eraser(services.erase_personal_data)
    privacy.register_privacy_notice(privacy_notice)


# --- hooks ---------------------------------------------------------------------------

def attention(actor) -> list[dict]:
    """The back office's "needs attention": the open cases of the actor's
    moderation queue, as one row with their number (one query)."""
    if not permissions.can_view_queue(actor):
        return []
    count = services.open_case_count(actor)
    if not count:
        return []
    return [{"kind": "moderation", "id": None, "title": _("Moderation queue"), "url": url_for("moderation.queue"),
             "what": ngettext("%(num)d report to handle", "%(num)d reports to handle", count),
             "due_at": None, "late": False}]


def report_panel(kind_name, obj, user):
    """Panel on every item page: a link to report it (logged-in people, not
    on their own contributions)."""
    kind = content.get_kind(kind_name)
    if not permissions.can_open_report_form(user, kind, obj):
        return None
    return render_template("moderation/_report_panel.html", kind=kind_name, obj=obj,
                           reported_at=services.has_reported(user, kind_name, obj.id))


def home_section(user):
    """Home page: moderators see what waits for them; a blocked person sees
    where to read the decision and appeal. Nothing (and no query) for others."""
    if not is_user(user):
        return None
    if permissions.can_view_queue(user):
        waiting = services.open_case_count(user)
        appeals = len(services.pending_appeals(user))
        return {"title": _("Moderation"), "intro": None, "more_url": url_for("moderation.queue"),
                "more_label": _("Open the moderation queue"),
                "items": [{"title": ngettext("%(num)d item to review", "%(num)d items to review", waiting),
                           "url": url_for("moderation.queue"),
                           "detail": ngettext("%(num)d appeal waiting", "%(num)d appeals waiting", appeals)}]}
    if user.is_blocked:
        return {"title": _("Your account is blocked"),
                "intro": _("You can read and appeal, but not contribute."),
                "items": [{"title": _("Moderation decisions about me"), "url": url_for("moderation.mine"),
                           "detail": _("Read the reasons and appeal if you disagree.")}]}
    return None


def privacy_notice():
    return {"title": _l("Moderation"), "rows": [
        (_l("Your reports: the item, the reason and the details you give"),
         _l("To handle the report and to stop one person reporting the same item twice; moderators do not tell "
            "the author who reported"),
         _l("As long as your account exists; public figures count reports without names")),
        (_l("Decisions about your contributions or account, and your appeals"),
         _l("To tell you why, to let you appeal, and to keep an audit trail"),
         _l("As long as your account exists; the audit trail keeps the decision without your name after")),
    ]}
