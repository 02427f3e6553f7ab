"""Where ``listen`` finds the secrets that sign Akeneo's events, and the file that keeps them.

Each of the two secrets (the subscription's primary, and a secondary while rotating) comes from
the first of: a flag (``--secret``, ``--secondary-secret``), the environment
(``AKENEO_EVENTS_SECRET``, ``AKENEO_EVENTS_SECONDARY_SECRET``), the config file's ``[akeneo]``
table (``events_secret``, ``events_secondary_secret``), the secrets file.

The secrets file is what ``akeneo-sync events subscribe`` writes: a small TOML file, readable by
its owner only, beside the config file (``akeneo.toml`` -> ``akeneo.events.toml``) or
``akeneo-events.toml`` in the current directory::

    [events]
    secret = "..."
    subscriber_id = "..."
    subscription_id = "..."
    destination_url = "https://sync.example.com/akeneo/events"
    events_url = "https://event.prd.sdk.akeneo.cloud/api/v1"

Secrets are never logged or shown, except once by ``subscribe`` that generated them.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from akeneo_sync.errors import ConfigError

ENV = {"secret": "AKENEO_EVENTS_SECRET", "secondary_secret": "AKENEO_EVENTS_SECONDARY_SECRET"}
CONFIG_KEYS = {"secret": "events_secret", "secondary_secret": "events_secondary_secret"}
DEFAULT_FILE = "akeneo-events.toml"


def generate() -> str:
    """A new signing secret: 43 URL-safe characters (the platform takes 16 to 256)."""
    return secrets.token_urlsafe(32)


def default_file(config_file: str | Path | None) -> Path:
    if config_file:
        path = Path(config_file)
        return path.with_name(f"{path.stem}.events.toml")
    return Path(DEFAULT_FILE)


def read_file(path: str | Path) -> dict[str, str]:
    """The ``[events]`` table of a secrets file; empty when there is no file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"secrets file {path} is not valid TOML: {exc}") from None
    table = data.get("events", {})
    if not isinstance(table, dict):
        raise ConfigError(f"secrets file {path}: [events] must be a table")
    return {k: str(v) for k, v in table.items()}


def write_file(path: str | Path, values: Mapping[str, str]) -> None:
    """Replace the file atomically, readable by its owner only (it holds a secret)."""
    path = Path(path)
    lines = ["# written by akeneo-sync events subscribe; holds a secret: keep it private", ""]
    lines.append("[events]")
    # A JSON string is a valid TOML basic string (same quotes, same escapes).
    lines += [f"{key} = {orjson.dumps(str(value)).decode()}" for key, value in values.items()]
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def accepted(
    flags: Mapping[str, str | None],
    config_file: str | Path | None,
    secrets_file: str | Path,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The secrets a receiver accepts, primary first; ``flags`` has ``secret`` and
    ``secondary_secret``."""
    environ = os.environ if environ is None else environ
    config = _config_table(config_file) if config_file else {}
    stored = read_file(secrets_file)
    found: list[str] = []
    for name, env in ENV.items():
        value = flags.get(name) or environ.get(env) or config.get(CONFIG_KEYS[name])
        value = value or stored.get(name)
        if value and str(value) not in found:
            found.append(str(value))
    return tuple(found)


def _config_table(path: str | Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    section = data.get("akeneo", data)
    return section if isinstance(section, dict) else {}
