"""The status page in a real browser (headless Chromium): the runs and the chart are rendered,
and a screenshot is taken (``AKENEO_SYNC_UPDATE_SCREENSHOT=1`` writes it to docs/status.png,
the one docs/status.md shows).

Without Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it) the test is skipped,
unless ``CI`` is set: there a missing browser is a broken pipeline, not a pass."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from status_helpers import served, some_runs
from sync_helpers import Api

from akeneo_sync.emulator import EmulatorServer

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    reason = "headless Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def _browse(chromium: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",  # as root in a container: the sandbox cannot start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={home}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
    )


def test_the_page_renders_in_a_browser(
    server: EmulatorServer, api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chromium = _chromium()
    monkeypatch.chdir(tmp_path)  # the page shows the destination as given: a short name
    dest = "catalog.db"
    some_runs(server, api, dest)
    home = tmp_path / "browser"
    shot = tmp_path / "status.png"
    with served(dest) as url:
        dom = _browse(chromium, home, "--dump-dom", f"{url}/")
        taken = _browse(chromium, home, f"--screenshot={shot}", "--window-size=1280,1080", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    runs = html.split('id="runs"', 1)[1].split("</table>", 1)[0]
    assert runs.count("<tr>") == 1 + 6  # the header and six runs
    assert runs.count(">ok<") == 5 and runs.count(">failed<") == 1
    chart = html.split('id="chart"', 1)[1].split("</svg>", 1)[0]
    assert len(re.findall(r'<rect class="bar (ok|failed)"', chart)) == 6
    assert 'class="changed"' in chart
    assert 'id="last-error"' in html and "403" in html
    assert taken.returncode == 0, taken.stderr[-2000:]
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000  # a page, not a blank
    if os.environ.get("AKENEO_SYNC_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, DOCS / "status.png")
