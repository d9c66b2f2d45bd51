"""Fixtures of the open-data tests: the API tests' ``world`` (realistic data
in every domain), so every dataset has rows to publish and to scan."""

import pytest

from tests.api.conftest import build_world


@pytest.fixture
def world(app, run_jobs):
    return build_world(app, run_jobs)
