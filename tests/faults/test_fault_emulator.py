"""The fault suite's short version, emulator faults: each export completes with a clean run's
content (per-resource canonical hash), or, for a login page, fails with its one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from faultlib import EMULATOR_FAULTS, cli_args, emulator, run_emulator_fault, run_token_expiry

PRODUCTS = 150


@pytest.mark.parametrize("name", list(EMULATOR_FAULTS))
def test_an_export_under_a_fault_equals_a_clean_one(name: str, tmp_path: Path, seed: int) -> None:
    row = run_emulator_fault(name, PRODUCTS, seed % 1000, runs=1, tmp=tmp_path)
    assert row.ok, row.markdown()


def test_a_five_second_token_rotated_mid_run_loses_nothing(tmp_path: Path, seed: int) -> None:
    row = run_token_expiry(PRODUCTS, seed % 1000, runs=1, tmp=tmp_path)
    assert row.ok, row.markdown()
    # The token was replaced mid-run (by a refresh, or a new login when the refresh token's
    # answer came too late): a short run may see either.
    assert row.totals["tokens_issued"] > 1, row.markdown()


def test_a_login_page_fails_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    with emulator(20, 1, html_login=True) as server:
        dest = tmp_path / "out.db"
        done = subprocess.run(
            cli_args(server, "export", "--to", str(dest)), capture_output=True, text=True
        )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "text/html" in lines[0], lines
    assert list(tmp_path.iterdir()) == []
