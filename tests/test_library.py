"""The public API: what ``akeneo_sync.__all__`` promises exists, and docs/library.md runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import akeneo_sync

LIBRARY_DOC = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def test_every_public_name_resolves() -> None:
    for name in akeneo_sync.__all__:
        assert getattr(akeneo_sync, name) is not None, name


def test_importing_the_package_loads_nothing_heavy() -> None:
    # Names load on first use: ``import akeneo_sync.emulator`` must not pull the client in.
    code = (
        "import sys, akeneo_sync; "
        "print(sorted(m for m in sys.modules if m.startswith('akeneo_sync.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_library_guide_runs_as_written(capsys: object) -> None:
    blocks = re.findall(r"```python\n(.*?)```", LIBRARY_DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 6
    namespace: dict[str, object] = {"__name__": "library_doc"}
    try:
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"docs/library.md block {number}", "exec"), namespace)
    finally:
        server = namespace.get("server")
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
