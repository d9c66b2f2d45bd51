"""The one declaration of the notifications module: what ``create_app``
plugs in (blueprint, event and unsubscribe listeners, the district follow
target, the header's inbox link, settings, periodic jobs, privacy
export/erase/notice, demo, Jinja globals)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin

from civic.accounts import privacy
from civic.core import content, events, follows, outbox
from civic.core.jobs import register_periodic
from civic.core.nav import register_account_nav
from civic.core.permissions import is_user
from civic.core.settings import register_setting
from civic.notifications import (
    demo,  # noqa: F401  (registers its demo loader at import)
    jobs,
    labels,
    permissions,
    services,
    settings,
    views,
)


def declare(app) -> None:
    if "notifications" not in app.blueprints:
        app.register_blueprint(views.bp)
    app.jinja_env.globals.update(notifications_permissions=permissions,
                                 notification_family=labels.family_label, notification_event=labels.event_label,
                                 notification_reason=labels.reason_label,
                                 notification_frequency=lambda f: str(labels.FREQUENCY_LABELS.get(f, f)),
                                 notification_channel=lambda c: str(labels.CHANNEL_LABELS.get(c, c)))
    events.register_listener(jobs.on_event)
    outbox.register_opt_out_listener(services.on_opt_out)
    follows.register_target(follows.FollowTarget(
        "district", lambda: _l("District"), services.district_title,
        lambda district_id: url_for("notifications.following") + f"#district-{district_id}"))
    content.register_created_listener(on_item_created)
    register_account_nav(inbox_link)
    for spec in settings.SPECS:
        register_setting(spec)
    register_periodic("notifications.sweep_events", jobs.sweep_events, 300)
    register_periodic("notifications.digests", jobs.send_digests, 900)
    register_periodic("notifications.retention", jobs.purge_old_notifications, 86400)
    privacy.register_exporter("notifications", services.export_personal_data)
    privacy.register_eraser(services.erase_personal_data)
    privacy.register_privacy_notice(privacy_notice)
    privacy.register_data_labels({
        "notifications": _l("Notifications"), "follows": _l("What you follow"), "object_id": _l("Item number"),
        "follow_automatically": _l("Follow automatically what I take part in"),
        "preferences": _l("Notification preferences"), "family": _l("Kind of news"), "frequency": _l("How often"),
        "url": _l("Address"), "event": _l("Kind of event"), "read_at": _l("Read"),
        "digests_sent": _l("Digests sent"), "period": _l("Period"), "period_start": _l("Period starting"),
    })


def on_item_created(kind_name, obj, actor):
    """A followable item is created: its author follows it, and the people
    following its district hear of it (if everyone may see it already: a
    pre-moderated item is not announced)."""
    kind = content.get_kind(kind_name)
    if not kind.hooks.get("followable"):
        return
    follows.auto_follow(actor, kind_name, obj.id)
    if kind.district_id(obj) and kind.can_view(AnonymousUserMixin(), obj):
        events.emit(kind_name, obj.id, "created", actor_id=getattr(actor, "id", None))


def inbox_link(user):
    """The header's « Notifications (3) »: plain text, counted when the page is made."""
    if not is_user(user):
        return None
    try:
        count = services.unread_count(user)
    except sa.exc.SQLAlchemyError:
        count = 0  # an error page while the database is away still shows its header
    if count == 0:
        label = _("Notifications")
    elif count > services.UNREAD_CAP:
        label = _("Notifications (%(n)s+)", n=services.UNREAD_CAP)
    else:
        label = _("Notifications (%(n)d)", n=count)
    return label, url_for("notifications.inbox")


def privacy_notice():
    return {"title": _l("Notifications"), "rows": [
        (_l("What you follow, your notifications and your notification preferences"),
         _l("To tell you of news about what you follow, as often as you chose"),
         _l("Notifications: deleted after the retention period set by the city; the rest as long as your account "
            "exists")),
    ]}
