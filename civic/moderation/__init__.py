"""Moderation: reports on any registered kind, decisions with reasons,
blocks, appeals, and the public transparency report."""

from flask_babel import lazy_gettext as _l


def init_app(app):
    from civic.accounts import privacy
    from civic.core import content
    from civic.core.jobs import register_periodic
    from civic.core.nav import register_nav
    from civic.core.settings import SettingSpec, register_setting
    from civic.moderation import api, demo, jobs, labels, models, services, views  # noqa: F401  (api: routes at import)

    app.register_blueprint(views.bp)
    # Globals, not a context processor: imported macros and mail templates see them too.
    app.jinja_env.globals.update(moderation_reason=labels.reason_label, moderation_decision=labels.decision_label,
                                 moderation_appeal=labels.appeal_label)
    content.register_panel(views.report_panel, order=90)
    content.register_created_listener(services.on_item_created)
    content.register_home_section(views.home_section)
    register_nav(lambda: _l("Transparency"), "moderation.transparency", order=80, footer=True)
    register_setting(SettingSpec(
        services.SETTING_THRESHOLD, 3, int, lambda: _l("Moderation: reports before an item is hidden"),
        lambda: _l("Number of reports from different people after which an item is hidden until a moderator "
                   "reviews it."), minimum=1, maximum=100))
    register_setting(SettingSpec(
        services.SETTING_PREMODERATED, "", str, lambda: _l("Moderation: pre-moderated kinds"),
        lambda: _l("Comma-separated kinds (for example: comment, petition) whose new items are shown only "
                   "after a moderator approves them. Leave empty for none.")))
    register_setting(SettingSpec(
        services.SETTING_DIGEST, 60, int, lambda: _l("Moderation: minutes between report digests"),
        lambda: _l("Moderators receive new reports grouped in one email at most this often (auto-hidden items "
                   "are mailed at once)."), minimum=5, maximum=10080))
    register_periodic("moderation.digest", jobs.digest_job, 300)
    register_periodic("moderation.expire_blocks", jobs.expire_blocks_job, 600)
    privacy.register_exporter("moderation", services.export_personal_data)
    privacy.register_eraser(services.erase_personal_data)
    privacy.register_privacy_notice(_privacy_notice)


def _privacy_notice():
    return {"title": _l("Moderation"), "rows": [
        (_l("Your reports: the item, the reason and the details you give"),
         _l("To handle the report and to stop one person reporting the same item twice; moderators do not tell "
            "the author who reported"),
         _l("As long as your account exists; public figures count reports without names")),
        (_l("Decisions about your contributions or account, and your appeals"),
         _l("To tell you why, to let you appeal, and to keep an audit trail"),
         _l("As long as your account exists; the audit trail keeps the decision without your name after")),
    ]}
