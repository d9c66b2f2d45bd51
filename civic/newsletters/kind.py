"""The one declaration of the newsletters module: its pages, the consent it
asks for, its setting, its periodic sender, its privacy notice and demo.
A newsletter is not a content kind: it is not commented, followed or
moderated (officials write it; residents only receive it)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.accounts import privacy
from civic.core import consents
from civic.core.jobs import register_periodic
from civic.core.nav import register_nav
from civic.core.settings import SettingSpec, register_setting
from civic.newsletters import demo, jobs, labels, permissions, sending, views  # noqa: F401  (demo registers its loader)


def _privacy_notice():
    return {"title": _("Newsletter"), "rows": [
        (_("Your consent to receive the newsletter: the sentence you agreed to, its date, and when you withdrew it"),
         _("To send the newsletter only to those who asked for it, and to be able to show when and how they did."),
         _("As long as your account exists; withdrawing stops the letters at once and keeps the dates.")),
    ]}


def declare(app) -> None:
    if "newsletters" not in app.blueprints:
        app.register_blueprint(views.bp)
    consents.register_consent(
        sending.TOPIC, lambda: _("I would like to receive the city's newsletter by email"),
        lambda: _("A few letters a year about participation in your city. Plain text, no tracking; "
                  "stop it in one click from any letter or from your account."))
    register_setting(SettingSpec(
        "newsletters.per_minute", 1000, int, lambda: _l("Newsletters: mails queued per minute"),
        lambda: _l("A newsletter is handed to the mail server in batches of at most this many mails a minute, "
                   "so the city's mail server and the residents' providers are not flooded."),
        minimum=10, maximum=100_000))
    register_periodic("newsletters.send_due", jobs.send_due, 60)
    register_nav(lambda: _("Newsletter"), "newsletters.index", order=95, footer=True)
    privacy.register_privacy_notice(_privacy_notice)
    app.jinja_env.globals["newsletters_permissions"] = permissions
    app.jinja_env.globals["newsletter_status"] = labels.status_label
