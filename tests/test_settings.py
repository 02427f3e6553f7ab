from pathlib import Path

import pytest

from akeneo_sync.errors import ConfigError
from akeneo_sync.settings import load_connection


def test_flags_win_over_env_over_file(tmp_path: Path) -> None:
    config = tmp_path / "akeneo.toml"
    config.write_text(
        '[akeneo]\nurl = "https://file.example"\nclient_id = "file-id"\n'
        'username = "file-user"\npassword = "file-pass"\nclient_secret = "file-secret"\n'
    )
    env = {"AKENEO_CLIENT_ID": "env-id", "AKENEO_USERNAME": "env-user"}
    conn = load_connection({"username": "flag-user", "url": None}, config, env)
    assert conn.url == "https://file.example"
    assert conn.client_id == "env-id"
    assert conn.username == "flag-user"
    assert conn.password == "file-pass"


def test_secrets_never_in_repr() -> None:
    conn = load_connection(
        {"url": "https://pim/", "password": "hunter2", "client_secret": "s3cr3t", "token": None},
        environ={},
    )
    text = repr(conn) + str(conn)
    assert "hunter2" not in text and "s3cr3t" not in text
    assert "***" in text
    assert conn.url == "https://pim"


def test_missing_url_names_the_ways_to_give_it() -> None:
    with pytest.raises(ConfigError, match="AKENEO_URL"):
        load_connection({}, environ={})


def test_bad_config_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[akeneo\nurl=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_connection({}, bad, {})
    with pytest.raises(ConfigError, match="not found"):
        load_connection({}, tmp_path / "missing.toml", {})
    typo = tmp_path / "typo.toml"
    typo.write_text('[akeneo]\nurl = "https://x"\npasword = "x"\n')
    with pytest.raises(ConfigError, match="pasword"):
        load_connection({}, typo, {})


@pytest.mark.parametrize("value", ["5", "true", '["https://x"]', "{ a = 1 }"])
def test_a_value_that_is_not_a_string_is_a_config_error(tmp_path: Path, value: str) -> None:
    config = tmp_path / "akeneo.toml"
    config.write_text(f"[akeneo]\nurl = {value}\n")
    with pytest.raises(ConfigError) as raised:
        load_connection({}, config, {})
    assert str(raised.value) == f"config file {config}: url must be a string"


def test_a_non_string_secret_is_named_but_not_shown(tmp_path: Path) -> None:
    config = tmp_path / "akeneo.toml"
    config.write_text('[akeneo]\nurl = "https://x"\npassword = 123456\n')
    with pytest.raises(ConfigError) as raised:
        load_connection({}, config, {})
    assert str(raised.value) == f"config file {config}: password must be a string"


def test_an_unreadable_config_file_is_a_config_error(tmp_path: Path) -> None:
    binary = tmp_path / "akeneo.toml"
    binary.write_bytes(b"\xc7\xff\x00 not text")
    with pytest.raises(ConfigError) as raised:
        load_connection({}, binary, {})
    assert str(raised.value) == f"config file {binary} is not UTF-8 text: is it the right file?"
    with pytest.raises(ConfigError) as raised:
        load_connection({}, tmp_path, {})
    assert str(raised.value) == f"config file {tmp_path} cannot be read: Is a directory"
