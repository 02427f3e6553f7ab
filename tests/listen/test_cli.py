"""``akeneo-sync events`` and ``akeneo-sync listen`` as a user runs them, against the emulator:
real processes, the secrets file between them, and a receiver killed with events in its
spool."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sync_helpers import name_value

from akeneo_sync.cli import cli
from akeneo_sync.listen import secrets
from akeneo_sync.sinks import open_sink

from .helpers import PIM, management, platform, wait_for
from .test_events import name, stored

EMAIL = ["--email", "ops@example.com"]


@pytest.fixture()
def env(server, tmp_path) -> dict[str, str]:
    cfg = server.config
    return {
        **os.environ,
        "AKENEO_URL": server.url,
        "AKENEO_CLIENT_ID": cfg.client_id,
        "AKENEO_CLIENT_SECRET": cfg.secret,
        "AKENEO_USERNAME": cfg.username,
        "AKENEO_PASSWORD": cfg.password,
    }


def events(server, env, *args: str) -> str:
    runner = CliRunner()
    base = ["--events-url", server.url + "/event-platform/api/v1"]
    result = runner.invoke(cli, ["events", *args, *base], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_subscribe_status_resume_unsubscribe(server, api, env, tmp_path) -> None:
    file = tmp_path / "events.toml"
    url = "http://127.0.0.1:9/akeneo"
    out = events(
        server, env, "subscribe", "--destination-url", url, *EMAIL, "--secrets-file", str(file)
    )
    assert "created" in out and "shown once" in out
    kept = secrets.read_file(file)
    assert kept["secret"] in out and kept["destination_url"] == url
    assert stat.S_IMODE(file.stat().st_mode) == 0o600 or os.name != "posix"
    with management(server, api) as ep:
        subs = ep.get(f"/subscribers/{kept['subscriber_id']}/subscriptions").json()
    assert [s["id"] for s in subs] == [kept["subscription_id"]]
    assert len(subs[0]["events"]) == 12 and PIM + "product-model.updated" in subs[0]["events"]
    # Again: the same subscriber and subscription, the same secret.
    out = events(
        server, env, "subscribe", "--destination-url", url, *EMAIL, "--secrets-file", str(file)
    )
    assert "updated" in out and "unchanged" in out and secrets.read_file(file) == kept
    out = events(server, env, "status", "--secrets-file", str(file))
    assert f"subscription {kept['subscription_id']} active" in out and "a secret" in out
    path = f"/subscribers/{kept['subscriber_id']}/subscriptions/{kept['subscription_id']}"
    with management(server, api) as ep:
        assert ep.post(path + "/suspend").json()["status"] == "suspended"
        out = events(server, env, "resume", "--secrets-file", str(file))
        assert "active" in out and ep.get(path).json()["status"] == "active"
    out = events(server, env, "unsubscribe", "--secrets-file", str(file))
    assert f"subscription {kept['subscription_id']} deleted" in out
    assert not file.exists()
    assert "no subscriber" in events(server, env, "status", "--secrets-file", str(file))


def test_subscribe_needs_an_email_the_first_time(server, env, tmp_path) -> None:
    runner = CliRunner()
    args = ["events", "subscribe", "--destination-url", "http://127.0.0.1:9/x"]
    args += ["--events-url", server.url + "/event-platform/api/v1"]
    args += ["--secrets-file", str(tmp_path / "s.toml")]
    result = runner.invoke(cli, args, env={**env, "AKENEO_URL": server.url})
    assert result.exit_code == 2 and "--email" in result.output


def test_listen_refuses_to_start_without_a_secret(dest, env, tmp_path) -> None:
    env = {k: v for k, v in env.items() if not k.startswith("AKENEO_EVENTS")}
    args = ["listen", "--to", dest, "--secrets-file", str(tmp_path / "none.toml")]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2 and "no events secret" in result.output


def test_listen_stops_at_once_on_refused_credentials(dest, env) -> None:
    env = {**env, "AKENEO_PASSWORD": "not-the-password", "AKENEO_EVENTS_SECRET": "s" * 20}
    result = CliRunner().invoke(cli, ["listen", "--to", dest, "--port", "0"], env=env)
    assert result.exit_code == 3 and "login refused" in result.output


@pytest.fixture()
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_killed_with_events_spooled_loses_nothing(
    server, api, dest, env, tmp_path, processes
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/akeneo"
    file = tmp_path / "events.toml"
    events(server, env, "subscribe", "--destination-url", url, *EMAIL, "--secrets-file", str(file))
    command = [sys.executable, "-m", "akeneo_sync", "listen", "--to", dest, "--labels", "en_US"]
    command += ["--port", str(port), "--path", "/akeneo", "--secrets-file", str(file)]
    command += ["--reconcile-every", "0"]
    log = open(tmp_path / "listen.log", "ab")  # noqa: SIM115 - closed at the end

    def start(batch_wait: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([*command, "--batch-wait", batch_wait], env=env, stderr=log)
        processes.append(proc)
        wait_for(lambda: _healthy(port) or proc.poll() is not None, 30, "the listener")
        assert proc.poll() is None, (tmp_path / "listen.log").read_text()
        return proc

    first = start("3600")  # acknowledges and spools, applies nothing for an hour
    products = [p for p in api.products() if not p.get("parent")][:4]
    for n, product in enumerate(products[:3]):
        api.patch_product(product["uuid"], {"values": name_value(f"spooled {n}")})
    api.delete_product(products[3]["uuid"])
    wait_for(lambda: platform(server)["delivered"] == 4, what="4 events acknowledged")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    spool = Path(dest + ".events")
    with sqlite3.connect(spool) as db:
        assert db.execute("SELECT count(*) FROM events WHERE applied_at IS NULL").fetchone()[0] == 4
    assert name(stored(dest, products[0]["uuid"])) != "spooled 0"

    second = start("0.05")
    wait_for(
        lambda: (open_sink(dest).read_state() or {}).get("events", {}).get("applied") == 4,
        what="the spooled events applied after the restart",
    )
    for n, product in enumerate(products[:3]):
        assert name(stored(dest, product["uuid"])) == f"spooled {n}"
    assert stored(dest, products[3]["uuid"])["deleted_at"] is not None
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0
    log.close()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
