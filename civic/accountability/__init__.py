"""Accountability: the public page of every official answer owed across the
platform, read through the content registry. Everything it plugs into the
application is declared in :mod:`civic.accountability.kind`."""


def init_app(app):
    from civic.accountability.kind import declare

    declare(app)
