"""Accounts: users, roles, districts, resident verification, my data."""


def init_app(app):
    from civic.accounts.kind import declare

    declare(app)
