"""The one declaration of the assemblies module: its blueprint, the
"assembly" and "recommendation" content kinds and their hooks, home section,
navigation, privacy export/erase/notice, demo loader and Jinja globals.
``civic.assemblies.init_app`` only calls :func:`declare`. Registrations are
idempotent (tests create many apps)."""

from __future__ import annotations

from flask import has_request_context, url_for
from flask_babel import gettext as _

from civic.assemblies import (
    cli,
    demo,  # noqa: F401  (registers the demo loader at import time)
    draw_kind,
    permissions,
    views,
)
from civic.assemblies.models import Assembly
from civic.cli import civic_cli
from civic.core import content
from civic.core.urls import absolute_url


def _url(endpoint: str, anchor: str | None = None, **values) -> str:
    """Relative URL in a request, absolute (from BASE_URL) in jobs and CLI."""
    if anchor:
        values["_anchor"] = anchor
    if has_request_context():
        return url_for(endpoint, **values)
    return absolute_url(endpoint, **values)


def _register_kinds() -> None:
    content.register_kind(content.ContentKind(
        name="assembly", model=Assembly, label=lambda: _("Citizens' assembly"), title=lambda a: a.title,
        url=lambda a: _url("assemblies.show", assembly_id=a.id), can_view=permissions.can_view_assembly,
        author_id=lambda a: None, district_id=lambda a: a.district_id,
        hooks={"followable": True}))


def declare(app) -> None:
    """Everything the assemblies module registers (called by ``init_app``)."""
    if "assemblies" not in app.blueprints:
        app.register_blueprint(views.bp)
    app.jinja_env.globals["assemblies_permissions"] = permissions
    _register_kinds()
    draw_kind.declare_draw(app)
    if "assemblies" not in civic_cli.commands:
        civic_cli.add_command(cli.assemblies_group)
