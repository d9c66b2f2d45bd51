"""Civic: a participation platform for cities and territories."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from pathlib import Path
from urllib.parse import urlparse

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event

from civic.extensions import babel, csrf, db, login_manager, migrate
from config import BASE_DIR, load_config

# Domain packages, in dependency order. Each exposes init_app(app) that
# registers its blueprints, content kinds, settings, jobs and CLI commands.
MODULES = ["accounts", "deliberation", "moderation", "petitions", "budgets", "processes",
           "consultations", "conversations", "assemblies", "accountability", "newsletters", "site",
           "search", "notifications", "opendata"]


def select_locale():
    langs = ["en", "fr"]
    if not has_request_context():
        # Jobs and CLI: mails choose their locale with force_locale per recipient.
        return None
    if getattr(current_user, "is_authenticated", False) and current_user.locale in langs:
        return current_user.locale
    if session.get("lang") in langs:
        return session["lang"]
    return request.accept_languages.best_match(langs) or "en"


def _installed_modules() -> list:
    mods = []
    for name in MODULES:
        if importlib.util.find_spec(f"civic.{name}") is None:
            continue
        mod = importlib.import_module(f"civic.{name}")
        if hasattr(mod, "init_app"):
            mods.append((name, mod))
    return mods


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    from civic.core import inputs

    inputs.init_app(app)  # before any route is added: the bounded <int:> converter
    app.config.update(load_config())
    if config:
        app.config.update(config)
    if not app.config.get("SERVER_NAME"):
        # url_for() then works outside requests too (jobs, CLI, mails), with the
        # public address. Since Flask 3.1 SERVER_NAME does not restrict which
        # Host headers are served.
        base = urlparse(app.config["BASE_URL"])
        app.config.update(SERVER_NAME=base.netloc, APPLICATION_ROOT=base.path or "/",
                          PREFERRED_URL_SCHEME=base.scheme or "https")
    from civic.core import logs

    logs.init_app(app)  # LOG_FORMAT: one JSON object a line, no address in clear
    from civic.core import time as civic_time

    if civic_time.CLOCK_FILE and app.config["CIVIC_ENV"] == "production":
        raise RuntimeError("CIVIC_CLOCK_FILE shifts the clock for end-to-end tests; it is refused in production")

    mods = _installed_modules()
    root = Path(app.root_path)
    dirs = ["translations"] + [f"{n}/translations" for n, _ in mods if (root / n / "translations").is_dir()]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            @event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=15000")
                cur.close()

    if app.config.get("TRUST_PROXY") or app.config["CIVIC_ENV"] == "production":
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    from civic import api
    from civic.core import errors, security
    from civic.core import views as core_views

    errors.init_app(app)
    from civic.core import metrics

    metrics.init_app(app)
    from civic.core import replica

    replica.init_app(app)
    security.init_app(app)
    core_views.init_app(app)
    for _name, mod in mods:
        mod.init_app(app)
    api.init_app(app)
    if app.config.get("SHARED_CACHE", True):
        from civic.core.sharedcache import SharedCache

        app.wsgi_app = SharedCache(app.wsgi_app, app)
    from civic import cli

    cli.init_app(app)
    _template_helpers(app)
    return app


def _template_helpers(app: Flask) -> None:
    from civic.core.sanitize import markup

    css = Path(app.static_folder) / "civic.css"
    version = hashlib.sha256(css.read_bytes()).hexdigest()[:10] if css.exists() else "0"
    from flask_babel import get_locale

    app.jinja_env.globals.update(asset_version=version, site_name=app.config["SITE_NAME"], get_locale=get_locale)
    app.jinja_env.filters["html"] = markup
    app.jinja_env.add_extension("jinja2.ext.do")

    from civic.core.formatting import init_app as init_formatting

    init_formatting(app)
