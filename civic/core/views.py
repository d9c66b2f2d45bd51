"""Site-wide pages: home, language switch, privacy, unsubscribe, health
check. (The accessibility statement is the site package's.)"""

from __future__ import annotations

from urllib.parse import urlparse

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.core import content, outbox, people, phases
from civic.core.redis import redis_client
from civic.core.replica import use_primary
from civic.extensions import csrf, db

bp = Blueprint("core", __name__)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths: never an open redirect."""
    if not target:
        return default
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.get("/")
def home():
    sections = content.home_sections(current_user)
    return render_template("core/home.html", sections=sections)


@bp.route("/language", methods=["GET", "POST"])
def set_language():
    # A link (GET) is enough: the only effect is a display preference.
    lang = request.values.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            people.remember_locale(current_user, lang)
            db.session.commit()
    return redirect(safe_next(request.values.get("next")))


@bp.get("/privacy")
def privacy():
    return render_template("core/privacy.html")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click POSTs come from mail clients; the signed token authenticates.
@use_primary  # a token link reads what was just written: never a lagging replica
def unsubscribe(token):
    data = outbox.read_unsubscribe_token(token)
    if data is None:
        return render_template("core/unsubscribe.html", invalid=True), 400
    email, topic = data
    if request.method == "POST":
        outbox.opt_out(email, topic)
        db.session.commit()
        return render_template("core/unsubscribe.html", done=True, topic=topic)
    return render_template("core/unsubscribe.html", topic=topic, token=token)


@bp.post("/follow/<kind>/<int:object_id>")
@login_required
def follow(kind, object_id):
    from civic.core import follows

    if request.form.get("action") == "unfollow":
        follows.unfollow(current_user, kind, object_id)
        flash(_("You no longer follow this."), "success")
    else:
        follows.follow(current_user, kind, object_id)
        flash(_("You will receive an email when there is news."), "success")
    db.session.commit()
    return redirect(safe_next(request.form.get("next")))


def _follow_panel(kind_name, obj, user):
    kind = content.get_kind(kind_name)
    if not kind.hooks.get("followable"):
        return None
    from civic.core import follows

    return render_template("core/_follow.html", kind=kind_name, obj=obj,
                           following=follows.is_following(user, kind_name, obj.id))


@bp.get("/healthz")
def healthz():
    status, code = {}, 200
    try:
        db.session.execute(sa.text("SELECT 1"))
        status["database"] = "ok"
    except Exception:
        status["database"], code = "unavailable", 503
    client = redis_client()
    if client is None:
        status["queue"] = "inline"
    else:
        try:
            client.ping()
            status["queue"] = "ok"
        except Exception:
            status["queue"], code = "unavailable", 503
    resp = jsonify(status)
    resp.status_code = code
    resp.headers["Cache-Control"] = "no-store"
    return resp


def init_app(app):
    app.register_blueprint(bp)
    phases.init_app(app)
    from civic.core import pictures

    pictures.init_app(app)
    content.register_panel(_follow_panel, order=10)
    app.jinja_env.globals["panels"] = content.render_panels
    from civic.core.nav import account_nav

    app.jinja_env.globals["account_nav"] = account_nav

    @app.context_processor
    def _globals():
        # Mails are rendered by jobs and CLI commands too: no request, no page chrome.
        if not has_request_context():
            return {}
        from civic.core.nav import nav_context

        ctx = {"current_path": request.full_path.rstrip("?")}
        ctx.update(nav_context())
        return ctx



def _register_core_jobs():
    from civic.core.jobs import register_periodic
    from civic.core.outbox import SWEEP_EVERY, sweep_outbox
    from civic.core.security import purge_old_counters

    register_periodic("outbox.sweep", sweep_outbox, SWEEP_EVERY)
    register_periodic("ratelimit.purge", purge_old_counters, 3600)
    from civic.core import dumps

    dumps.register()


_register_core_jobs()
