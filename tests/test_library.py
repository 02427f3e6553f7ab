"""The public API: what ``akeneo_sync.__all__`` promises exists, and docs/library.md runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import akeneo_sync

LIBRARY_DOC = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def test_every_public_name_resolves() -> None:
    for name in akeneo_sync.__all__:
        assert getattr(akeneo_sync, name) is not None, name


def _loaded_by(statement: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with one of ``prefixes`` that ``statement`` loads, in a fresh
    interpreter."""
    found = f"[m for m in sys.modules if m.startswith({prefixes})]"
    code = f"import json, sys; {statement}; print(json.dumps({found}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return sorted(json.loads(out.stdout))


def test_importing_the_package_loads_nothing_heavy() -> None:
    # Names load on first use: ``import akeneo_sync.emulator`` must not pull the client in.
    assert _loaded_by("import akeneo_sync", ("akeneo_sync.",)) == ["akeneo_sync._lazy"]


def test_the_cli_loads_no_server_until_a_command_serves() -> None:
    # The emulator, the status page and the events receiver are loaded by their commands only.
    servers = ("starlette", "uvicorn", "akeneo_sync.emulator.app", "akeneo_sync.listen.receiver")
    assert _loaded_by("import akeneo_sync.cli", servers) == []


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


def test_a_destination_that_cannot_be_opened_fails_before_the_pim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The destination's modules load while the PIM is asked; their error still comes first,
    whatever the PIM answered meanwhile (here, nobody listens at its URL)."""
    from akeneo_sync.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an absent driver looks like
    connection = akeneo_sync.Connection(url="http://127.0.0.1:9", token="app-token")
    options = akeneo_sync.ExportOptions(labels="en_US")
    with pytest.raises(MissingDependencyError, match=r"akeneo-sync\[postgres\]"):
        akeneo_sync.export("postgresql://user@127.0.0.1/shop", connection, options)
