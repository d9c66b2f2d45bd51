"""Petitions: from first draft to official response, built for viral peaks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


def _kind():
    from flask import url_for

    from civic.core.content import ContentKind
    from civic.petitions import hooks, services
    from civic.petitions.models import Petition

    return ContentKind(
        name="petition", model=Petition, label=lambda: str(_l("Petition")), title=lambda p: p.title,
        url=lambda p: url_for("petitions.detail", petition_id=p.id), can_view=services.can_view,
        author_id=lambda p: p.creator_id, district_id=lambda p: p.district_id,
        hooks={"excerpt": hooks.excerpt, "set_hidden": services.set_hidden_hook, "text": hooks.text,
               "authored_by": hooks.authored_by, "context": hooks.context, "comments": {"alignment": False},
               "comments_open": hooks.comments_open, "owed_answers": hooks.owed_answers, "followable": False})


def init_app(app):
    from civic.accounts import privacy
    from civic.cli import civic_cli
    from civic.core import content
    from civic.core.nav import register_nav
    from civic.petitions import (
        api,  # noqa: F401  (adds the API routes at import time)
        caching,
        cli,
        demo,
        hooks,
        jobs,
        services,
        settings,
        views,
    )

    app.register_blueprint(views.bp)
    # The two URLs a surge hits: the page (anonymous visitors) and the count it polls.
    caching.register()
    if app.config.get("BENCH_ENDPOINTS"):
        from civic.petitions import bench_views

        app.register_blueprint(bench_views.bp)
    content.register_kind(_kind())
    content.register_home_section(hooks.home_section)
    register_nav(lambda: str(_l("Petitions")), "petitions.index", order=20)
    settings.register()
    jobs.register()
    privacy.register_exporter("petitions", services.export_for)
    privacy.register_eraser(services.erase_for)
    privacy.register_privacy_notice(hooks.privacy_notice)
    demo.register()
    if "petitions" not in civic_cli.commands:
        civic_cli.add_command(cli.petitions_group)
