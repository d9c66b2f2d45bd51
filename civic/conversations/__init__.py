"""Conversations: residents vote agree / disagree / pass on short statements,
and opinion groups are found from the votes alone (Polis' method, issue 19).

``groups.py`` holds the pure math, ``polis.py`` the Polis export format;
``kind.py`` declares the module.
"""


def init_app(app) -> None:
    from civic.conversations import kind

    kind.declare(app)
