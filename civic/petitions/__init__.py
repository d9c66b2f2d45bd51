"""Petitions: from first draft to official response, built for viral peaks."""


def init_app(app):
    from civic.petitions.kind import declare

    declare(app)
