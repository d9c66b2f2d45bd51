"""Moderation: reports on any registered kind, decisions with reasons,
blocks, appeals, and the public transparency report. Everything it plugs
into the application is declared in :mod:`civic.moderation.kind`."""


def init_app(app):
    from civic.moderation.kind import declare

    declare(app)
