"""Deliberation: debates, and comments on any registered kind.

Kinds opt in to comments with the ``comments`` hook ({"alignment": bool}) and
may say when they accept new ones with ``comments_open``; the thread appears
on their page through the comments panel. Everything the module registers is
declared in :mod:`civic.deliberation.kind`.
"""


def init_app(app):
    from civic.deliberation.kind import declare

    declare(app)
