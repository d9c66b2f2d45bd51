"""Notifications: the fan-out of core events to the people who follow an
item or a district, the in-app inbox, preferences per family of events and
channel (changeable from every mail without logging in), and daily or
weekly digests sent exactly once. Everything it plugs into the application
is declared in :mod:`civic.notifications.kind`."""


def init_app(app):
    from civic.notifications.kind import declare

    declare(app)
