"""Newsletters: letters the city writes to the residents who asked for them.

Consent is explicit (``civic.core.consents``, key ``newsletter``), asked at
registration and on the account page and withdrawn in one click from every
letter. A letter is written in Markdown, previewed, tested on oneself,
scheduled, then queued through the outbox in paced batches by a periodic job
that resumes where it stopped. Letters are plain text: no tracking pixel, no
rewritten link. Sent letters are public in an archive.
"""


def init_app(app) -> None:
    from civic.newsletters import kind

    kind.declare(app)
