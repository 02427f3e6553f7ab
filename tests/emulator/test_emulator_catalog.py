"""The generator: deterministic for a seed, and the emulator stays independent of the exporter."""

from __future__ import annotations

import subprocess
import sys

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer, generate_catalog
from akeneo_sync.emulator.render import Renderer, View


def _fingerprint(seed: int) -> list:
    cat = generate_catalog(seed, 120)
    r = Renderer(cat, EmulatorConfig())
    view = View(base="http://x/api/rest/v1")
    return [r.product(i, view) for i in range(0, 120, 7)] + [cat.m_code[:5]]


def test_deterministic_for_a_seed() -> None:
    assert _fingerprint(3) == _fingerprint(3)
    assert _fingerprint(3) != _fingerprint(4)


def test_scales_with_products() -> None:
    small, big = generate_catalog(1, 100), generate_catalog(1, 4000)
    assert len(small.p_family) == 100 and len(big.p_family) == 4000
    assert len(big.m_code) > len(small.m_code) * 10
    assert sum(len(v) for v in big.s.assets.values()) > sum(len(v) for v in small.s.assets.values())


def test_uuid_round_trip() -> None:
    cat = generate_catalog(9, 50)
    for i in range(50):
        assert cat.index_of_uuid(cat.uuid(i)) == i
    assert cat.index_of_uuid("00000000-0000-4000-8000-000000000000") is None
    assert len({cat.uuid(i) for i in range(50)}) == 50


def test_server_exposes_url_app_and_catalog() -> None:
    with EmulatorServer(EmulatorConfig(port=0, products=30)) as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        assert srv.app.state.emu.catalog is srv.catalog
        assert len(srv.catalog.p_family) == 30


def test_emulator_imports_nothing_from_the_exporter() -> None:
    code = (
        "import sys, akeneo_sync.emulator, akeneo_sync.emulator.cli;"
        "bad=[m for m in sys.modules if m.startswith(('akeneo_sync.client',"
        "'akeneo_sync.transform','akeneo_sync.sinks'))];print(bad);sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_command_has_every_flag() -> None:
    from akeneo_sync.emulator.cli import emulator_command

    names = {p.name for p in emulator_command.params}
    assert names >= {
        "host",
        "port",
        "products",
        "seed",
        "families",
        "family_skew",
        "created_days",
        "client_id",
        "secret",
        "username",
        "password",
        "variant_values",
        "latency_ms",
        "latency_per_item_ms",
        "jitter_ms",
        "max_concurrency",
        "no_retry_after",
        "error_rate",
        "drop_rate",
        "truncate_rate",
        "garbage_rate",
        "html_login",
        "stall_rate",
        "stall_ms",
        "token_ttl",
    }


def test_cli_prints_credentials_and_stops_cleanly_on_sigterm() -> None:
    import signal
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "akeneo_sync.emulator.cli", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--products", "50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert f"http://127.0.0.1:{port}" in out
    assert "demo-secret" in out and "Emulator stopped." in out
