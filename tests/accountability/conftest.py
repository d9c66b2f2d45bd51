"""The accountability tests use consultations as one real kind among others."""

from tests.consultations.conftest import make_consultation, official  # noqa: F401
