"""Queue moderation mails from anywhere: requests, jobs, the CLI.

``civic.core.outbox.queue_mail`` renders the template at once, and the core
context processor (navigation, current path) needs a request. Jobs (the
digest, block expiry) and services called from tests or the CLI have none, so
we render inside a request context built from BASE_URL when there is no
request. To be dropped once the core context processor tolerates the absence
of a request (requested from the lead).
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import current_app, has_request_context

from civic.core.outbox import queue_mail as _core_queue_mail


def queue_mail(*args, **kwargs):
    ctx = nullcontext() if has_request_context() else current_app.test_request_context(
        "/", base_url=current_app.config["BASE_URL"])
    with ctx:
        return _core_queue_mail(*args, **kwargs)
