"""Notifications' pages: the inbox, what I follow, and the preferences
(signed in, or through the signed link of a mail)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.core import follows
from civic.core.errors import NotFound, ValidationError
from civic.core.events import FAMILIES
from civic.core.export import page_arg
from civic.core.replica import use_primary
from civic.core.views import safe_next
from civic.extensions import db
from civic.notifications import services
from civic.notifications.services import CHANNELS, FREQUENCIES

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def inbox():
    page = page_arg()
    rows, has_next = services.inbox_page(current_user, page)
    return render_template("notifications/inbox.html", rows=rows, page=page, has_next=has_next,
                           unread=services.unread_count(current_user))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id):
    services.mark_read(current_user, notification_id)
    db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("notifications.inbox")))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    services.mark_all_read(current_user)
    db.session.commit()
    flash(_("Every notification is marked as read."), "success")
    return redirect(url_for("notifications.inbox"))


@bp.get("/following")
@login_required
def following():
    page = page_arg()
    rows, has_next = follows.followed_page(current_user, page)
    items = []
    for row in rows:
        found = follows.describe(row.kind, row.object_id, current_user)
        items.append({"follow": row, **(found or {"label": "", "title": _("An item no longer available"), "url": None})})
    return render_template("notifications/following.html", items=items, page=page, has_next=has_next,
                           districts=services.districts())


@bp.post("/following/district")
@login_required
def follow_district():
    raw = request.form.get("district_id", "")
    if not raw.isdigit():
        abort(422)
    follows.follow(current_user, "district", int(raw))
    db.session.commit()
    flash(_("You follow this district: its new items will reach you as your preferences say."), "success")
    return redirect(url_for("notifications.following"))


def _posted_choices() -> dict[str, str]:
    return {f"{f}:{c}": request.form[f"{f}:{c}"] for f in FAMILIES for c in CHANNELS if f"{f}:{c}" in request.form}


def _preferences_page(user, *, token=None):
    errors, status = {}, 200
    if request.method == "POST":
        try:
            services.set_preferences(user, user, _posted_choices(),
                                     auto_follow=request.form.get("auto_follow") == "1")
        except ValidationError as err:
            db.session.rollback()
            errors, status = err.fields or {}, 422
        else:
            db.session.commit()
            flash(_("Your notification preferences are saved."), "success")
            return redirect(request.path)
    current = services.preferences(user)
    if status != 200:
        current.update({tuple(k.split(":")): v for k, v in _posted_choices().items()})
    return render_template("notifications/preferences.html", families=FAMILIES, channels=CHANNELS,
                           frequencies=FREQUENCIES, current=current, errors=errors, token=token,
                           auto_follow=follows.auto_follow_enabled(user)), status


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    return _preferences_page(current_user)


@bp.route("/notifications/preferences/link/<token>", methods=["GET", "POST"])
@use_primary
def preferences_by_link(token):
    """The page every notification mail links to: no login, the signed link
    stands for the person (for 60 days)."""
    try:
        user = services.user_from_token(token)
    except services.TokenExpired:
        return render_template("notifications/link_invalid.html", expired=True), 403
    except NotFound:
        return render_template("notifications/link_invalid.html", expired=False), 400
    return _preferences_page(user, token=token)
