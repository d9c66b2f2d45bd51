"""Fixtures of the open-data tests: the API tests' ``world`` (realistic data
in every domain), so every dataset has rows to publish and to scan."""

import pytest

from civic.core.series import all_series, backfill
from tests.api.conftest import build_world


@pytest.fixture
def world(app, run_jobs):
    made = build_world(app, run_jobs)
    # The daily series are filled by their hourly job: compute them over the world's days.
    for s in all_series():
        backfill(s)
    return made
