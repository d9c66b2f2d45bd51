"""Site-wide search: one index of every public item of every kind that gives
the ``search_document`` hook, full-text on PostgreSQL (French stemming,
accents ignored) and SQLite FTS5 as the fallback."""


def init_app(app):
    from civic.search.kind import declare

    declare(app)
