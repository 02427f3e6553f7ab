"""The fault suite's short version, kill -9: an export and a sync killed at seeded random
points (the seed is printed) into every kind of destination, then run again, equal a clean
run per resource, every product once. A sync is killed here into SQLite only, to keep the
short version short; ``bench/fault_suite.py`` does 20 kill points of each command into each."""

from __future__ import annotations

import pytest
from faultlib import emulator
from killlib import KINDS, Target, kill_and_resume

PRODUCTS = 250
pytestmark = pytest.mark.timeout(240)


@pytest.mark.parametrize("targets", KINDS, indirect=True)
def test_an_export_killed_and_resumed_equals_a_clean_one(
    targets: tuple[Target, Target], seed: int
) -> None:
    killed, clean = targets
    with emulator(PRODUCTS, seed % 1000) as server:
        outcome, equal, figures = kill_and_resume(server, "export", killed, clean, 1, seed)
    assert equal, (outcome, figures)


@pytest.mark.parametrize("targets", ["sqlite"], indirect=True)
def test_a_sync_killed_and_run_again_equals_a_clean_one(
    targets: tuple[Target, Target], seed: int
) -> None:
    killed, clean = targets
    with emulator(PRODUCTS, seed % 1000) as server:
        outcome, equal, figures = kill_and_resume(server, "sync", killed, clean, 1, seed)
    assert equal, (outcome, figures)
