"""Where the Akeneo connection comes from: flags, then environment, then a TOML file.

    [akeneo]
    url = "https://my-pim.cloud.akeneo.com"
    client_id = "..."
    client_secret = "..."
    username = "..."
    password = "..."
    # token = "..."          # an App token instead of the four above

Secrets never appear in ``repr``, logs or error messages.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from akeneo_sync.client import AkeneoClient
from akeneo_sync.errors import ConfigError

ENV = {
    "url": "AKENEO_URL",
    "client_id": "AKENEO_CLIENT_ID",
    "client_secret": "AKENEO_CLIENT_SECRET",
    "username": "AKENEO_USERNAME",
    "password": "AKENEO_PASSWORD",
    "token": "AKENEO_TOKEN",
}
SECRETS = frozenset({"client_secret", "password", "token"})


@dataclass(frozen=True)
class Connection:
    url: str = ""
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    token: str | None = None

    def __repr__(self) -> str:
        def show(name: str) -> str:
            value = getattr(self, name)
            return "'***'" if name in SECRETS and value else repr(value)

        return f"Connection({', '.join(f'{f.name}={show(f.name)}' for f in fields(self))})"

    __str__ = __repr__

    @classmethod
    def from_env(cls, config_file: str | Path | None = None) -> Connection:
        """From the ``AKENEO_*`` variables, then ``config_file``'s ``[akeneo]`` table."""
        return load_connection({}, config_file)

    def client(self, *, concurrency: int = 4, transport: Any = None) -> AkeneoClient:
        """An ``AkeneoClient`` for this connection (``transport``: e.g. an in-process app)."""
        return AkeneoClient(**self.client_kwargs(), concurrency=concurrency, transport=transport)

    def client_kwargs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def load_connection(
    flags: Mapping[str, str | None],
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """Each field from the first of: a flag, the environment, the config file."""
    environ = os.environ if environ is None else environ
    from_file = _read_toml(config_file) if config_file else {}
    values: dict[str, str | None] = {}
    for name, env_name in ENV.items():
        value = flags.get(name) or environ.get(env_name) or from_file.get(name)
        values[name] = str(value) if value not in (None, "") else None
    if not values["url"]:
        raise ConfigError("no Akeneo URL: give --url, set AKENEO_URL or use --config FILE")
    return Connection(url=str(values.pop("url")).rstrip("/"), **values)


def _read_toml(path: str | Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text: is it the right file?") from None
    except OSError as exc:  # a directory, no permission
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    section = data.get("akeneo", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [akeneo] must be a table")
    unknown = set(section) - set(ENV) - {"akeneo", "events_secret", "events_secondary_secret"}
    if unknown:
        raise ConfigError(f"config file {path}: unknown keys {', '.join(sorted(unknown))}")
    for key, value in section.items():
        # TOML has numbers and booleans: `url = 5` is a typo to show here, not a URL to try.
        if key in ENV and not isinstance(value, str):
            raise ConfigError(f"config file {path}: {key} must be a string")
    return section
