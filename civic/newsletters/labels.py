"""Translated labels of a newsletter's states."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from civic.newsletters.models import Status

STATUS = {Status.DRAFT: _l("Draft"), Status.SCHEDULED: _l("Scheduled"), Status.SENDING: _l("Being sent"),
          Status.SENT: _l("Sent")}


def status_label(letter) -> str:
    return str(STATUS[Status(letter.status)])
