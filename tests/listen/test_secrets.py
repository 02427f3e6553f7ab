"""Where listen's secrets come from: flags, then environment, then the config file, then the
secrets file that ``events subscribe`` writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from akeneo_sync.errors import ConfigError
from akeneo_sync.listen import secrets
from akeneo_sync.settings import load_connection


def test_each_secret_from_the_first_source_that_has_it(tmp_path: Path) -> None:
    config = tmp_path / "akeneo.toml"
    config.write_text(
        '[akeneo]\nurl = "https://pim.example.com"\nevents_secret = "from-the-config-file"\n'
    )
    assert load_connection({}, config, environ={}).url == "https://pim.example.com"
    file = secrets.default_file(config)
    assert file == tmp_path / "akeneo.events.toml"
    secrets.write_file(file, {"secret": "from-the-secrets-file", "secondary_secret": "second"})
    none = {"secret": None, "secondary_secret": None}
    assert secrets.accepted(none, config, file, {}) == ("from-the-config-file", "second")
    env = {"AKENEO_EVENTS_SECRET": "from-env", "AKENEO_EVENTS_SECONDARY_SECRET": "env-2"}
    assert secrets.accepted(none, config, file, env) == ("from-env", "env-2")
    flags = {"secret": "from-a-flag", "secondary_secret": None}
    assert secrets.accepted(flags, config, file, env) == ("from-a-flag", "env-2")
    assert secrets.accepted(none, None, tmp_path / "missing.toml", {}) == ()


def test_the_secrets_file_round_trips_any_text(tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    odd = 'quotes " and \\ backslashes, tabs\tand é'
    secrets.write_file(file, {"secret": odd, "subscription_id": "abc"})
    assert secrets.read_file(file) == {"secret": odd, "subscription_id": "abc"}
    assert 16 <= len(secrets.generate()) <= 256
    file.write_text("[events\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        secrets.read_file(file)
