"""What core needs to know of people, handed to it by the accounts module at
start-up: core holds no domain rules and imports no domain package."""

from __future__ import annotations

from collections.abc import Callable

_people: dict = {"user_model": None, "set_locale": None}


def register_people(user_model, set_locale: Callable[[object, str], None]) -> None:
    """Accounts declares its user model (for queries such as followers) and
    how a signed-in person's language choice is remembered."""
    _people.update(user_model=user_model, set_locale=set_locale)


def user_model():
    """The model of registered people (``accounts.models.User``)."""
    if _people["user_model"] is None:
        raise RuntimeError("no accounts module registered its user model")
    return _people["user_model"]


def remember_locale(user, locale: str) -> None:
    """Store the language a signed-in person chose with the switcher."""
    if _people["set_locale"] is not None:
        _people["set_locale"](user, locale)
