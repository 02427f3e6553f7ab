"""Every bad input a user can give, as a real process: the exact one line on stderr (no usage
block, no traceback, no stray warning) and the documented exit code (errors.py). The table in
docs/reliability.md lists these tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from tests.cli.test_cli import CREDS, akeneo_sync, one_line_error
from tests.oracle import Oracle

CONFIG, AKENEO = 2, 3


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(products=30, seed=4, port=0)) as running:
        yield running


@pytest.fixture
def faulty() -> Iterator[EmulatorServer]:
    """A server of its own, for faults that must not leak into other tests."""
    with EmulatorServer(EmulatorConfig(products=10, seed=4, port=0)) as running:
        yield running


def fails(*args: str, code: int) -> str:
    result = akeneo_sync(*args)
    line = one_line_error(result)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    return line


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["export", "--concurrency", "0"],
            "Invalid value for '--concurrency': 0 is not in the range x>=1 "
            "(see 'akeneo-sync export --help')",
        ),
        (
            ["sync", "--concurrency", "-1"],
            "Invalid value for '--concurrency': -1 is not in the range x>=1 "
            "(see 'akeneo-sync sync --help')",
        ),
        (
            ["check", "--concurrency", "0"],
            "Invalid value for '--concurrency': 0 is not in the range x>=1 "
            "(see 'akeneo-sync check --help')",
        ),
        (
            ["export", "--concurrency", "four"],
            "Invalid value for '--concurrency': 'four' is not a valid integer range "
            "(see 'akeneo-sync export --help')",
        ),
        (
            ["export", "--checkpoint-every", "0"],
            "Invalid value for '--checkpoint-every': 0 is not in the range x>=1 "
            "(see 'akeneo-sync export --help')",
        ),
        (
            ["demo", "--products", "0"],
            "Invalid value for '--products': 0 is not in the range x>=1 "
            "(see 'akeneo-sync demo --help')",
        ),
        (
            ["sync", "--every", "0"],
            "Invalid value for '--every': '0': a duration must be longer than zero "
            "(see 'akeneo-sync sync --help')",
        ),
        (
            ["sync", "--overlap", "5 mins"],
            "Invalid value for '--overlap': '5 mins' is not a duration: use e.g. 30s, 15m, "
            "1h30m, 1d (see 'akeneo-sync sync --help')",
        ),
        (
            ["export", "--updated-since", "yesterday"],
            "Invalid value for '--updated-since': 'yesterday' is not a date: use an ISO date or "
            "time, e.g. 2024-05-01 or 2024-05-01T08:00:00+02:00 (no offset means UTC) "
            "(see 'akeneo-sync export --help')",
        ),
        (
            ["export", "--concurency", "2"],
            "No such option '--concurency'. Did you mean '--concurrency'? "
            "(see 'akeneo-sync export --help')",
        ),
    ],
    ids=[
        "concurrency-0",
        "concurrency-negative",
        "check-concurrency-0",
        "concurrency-text",
        "checkpoint-every-0",
        "demo-products-0",
        "every-0",
        "overlap-not-a-duration",
        "updated-since-not-a-date",
        "misspelt-flag",
    ],
)
def test_numeric_and_unknown_flags_are_refused_at_parse_time(
    tmp_path: Path, args: list[str], line: str
) -> None:
    url = ["--url", "http://127.0.0.1:9"]  # never reached: parsing fails first
    extra = [] if args[0] == "demo" else [*url, *CREDS]
    to = ["--to", str(tmp_path / "c.db")] if args[0] != "check" else []
    assert fails(*args, *to, *extra, code=CONFIG) == f"error: {line}"


@pytest.mark.parametrize(
    ("path", "what"),
    [("/user/login", "the PIM's login page"), ("/api/rest/v1", "the REST API's path")],
)
def test_a_url_that_is_not_the_base_url_points_at_the_url(
    server: EmulatorServer, tmp_path: Path, path: str, what: str
) -> None:
    args = ["export", "--to", str(tmp_path / "c.db"), "--url", server.url + path, *CREDS]
    line = fails(*args, code=CONFIG)
    assert line == f"error: {server.url}{path} is {what}, not its base URL: give {server.url}"


def test_a_404_on_the_token_url_points_at_the_url(server: EmulatorServer) -> None:
    """And a failed check prints no 'coroutine ... was never awaited' after its line."""
    line = fails("check", "--url", server.url + "/pim", *CREDS, code=AKENEO)
    assert line == (
        f"error: POST {server.url}/pim/api/oauth/v1/token -> 404: no Akeneo token endpoint at "
        "this URL: check the URL; give the PIM's base URL (e.g. https://my-pim.cloud.akeneo.com), "
        "without a path such as /user/login"
    )


def test_a_url_that_is_not_a_url(tmp_path: Path) -> None:
    line = fails("export", "--to", str(tmp_path / "c.db"), "--url", "5", *CREDS, code=CONFIG)
    assert line == (
        "error: '5' is not an http(s) URL: give the PIM's base URL, e.g. "
        "https://my-pim.cloud.akeneo.com"
    )


def test_a_number_in_the_config_file_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "akeneo.toml"
    config.write_text('[akeneo]\nurl = 5\nclient_id = "demo"\n')
    line = fails("check", "--config", str(config), code=CONFIG)
    assert line == f"error: config file {config}: url must be a string"


@pytest.mark.parametrize(
    ("locale", "why"),
    [("xx_XX", "is not a locale of this PIM"), ("es_ES", "is disabled in this PIM")],
)
def test_a_labels_locale_the_pim_does_not_have_lists_the_enabled_ones(
    server: EmulatorServer, tmp_path: Path, locale: str, why: str
) -> None:
    db = tmp_path / "c.db"
    args = ["export", "--to", str(db), "--url", server.url, *CREDS, "--labels", locale]
    line = fails(*args, code=CONFIG)
    assert line == f"error: --labels {locale} {why}; enabled locales: de_DE, en_US, fr_FR"
    assert not db.exists()  # refused before the destination was touched


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--to", "{tmp}/c.db", "--format", "csv"],
            "--format csv does not apply to {tmp}/c.db (a database): --format jsonl, csv or "
            "parquet is for a directory destination (e.g. --to out/); drop --format",
        ),
        (
            ["--to", "{tmp}/catalog.json", "--format", "jsonl"],
            "--format jsonl does not apply to {tmp}/catalog.json (a JSON file): --format jsonl, "
            "csv or parquet is for a directory destination (e.g. --to out/); drop --format",
        ),
        (
            ["--to", "{tmp}/out", "--table-prefix", "pim_"],
            "--table-prefix does not apply to {tmp}/out (a directory): it is for a database "
            "destination (a .db file, sqlite:///, postgresql://, mysql://, mongodb://)",
        ),
    ],
    ids=["format-for-a-database", "format-for-a-json-file", "table-prefix-for-files"],
)
def test_an_option_that_does_not_apply_to_the_destination_is_refused(
    tmp_path: Path, args: list[str], line: str
) -> None:
    """Before anything is asked: nobody listens at this URL."""
    args = [a.format(tmp=tmp_path) for a in args]
    result = fails("export", *args, "--url", "http://127.0.0.1:9", *CREDS, code=CONFIG)
    assert result == f"error: {line.format(tmp=tmp_path)}"


LOGIN_PAGE = (
    'expected JSON, got text/html starting \'<!DOCTYPE html> <html lang="en"><head><meta '
    'charset="utf-8"><title>Sign in to y…\'; a web page answered, not the API (a login page or '
    "a proxy?): check that the URL is the PIM's base URL and that the API is reachable without "
    "a browser login"
)


def test_an_sso_login_page_instead_of_a_token(faulty: EmulatorServer) -> None:
    Oracle(faulty.url).set_faults(html_login=True)
    line = fails("check", "--url", faulty.url, *CREDS, code=AKENEO)
    assert line == f"error: POST {faulty.url}/api/oauth/v1/token -> 200: {LOGIN_PAGE}"


def test_an_sso_login_page_instead_of_a_listing(faulty: EmulatorServer, tmp_path: Path) -> None:
    Oracle(faulty.url).set_faults(html_login=True)
    db = str(tmp_path / "c.db")
    line = fails("export", "--to", db, "--url", faulty.url, "--token", "app-token", code=AKENEO)
    assert line == f"error: GET {faulty.url}/api/rest/v1/locales?limit=100 -> 200: {LOGIN_PAGE}"


def test_a_php_notice_before_the_json(faulty: EmulatorServer) -> None:
    Oracle(faulty.url).set_faults(garbage_rate=1.0)
    line = fails("check", "--url", faulty.url, *CREDS, code=AKENEO)
    assert line == (
        f"error: POST {faulty.url}/api/oauth/v1/token -> 200: expected JSON, got application/json "
        "starting '<br /> <b>Deprecated</b>: strlen(): Passing null to parameter #1 ($string) of "
        "t…'; check the URL, and what sits in front of the PIM (a proxy; PHP notices printed "
        "into answers: display_errors must be off)"
    )


def test_one_count_refused_among_several_is_one_line(faulty: EmulatorServer) -> None:
    """The other counts are cancelled and awaited: nothing follows the error."""
    Oracle(faulty.url).set_faults(forbidden_resources=["families"])
    line = fails("check", "--url", faulty.url, *CREDS, code=AKENEO)
    assert line == (
        f"error: GET {faulty.url}/api/rest/v1/families?limit=1&with_count=true -> 403: "
        "Access forbidden. You are not allowed to list families."
    )


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (
            ["--locales", "en_US,xx_XX"],
            "--locales xx_XX is not a locale of this PIM; enabled locales: de_DE, en_US, fr_FR",
        ),
        (
            ["--channel", "print"],
            "--channel print is not a channel of this PIM; channels: ecommerce, mobile",
        ),
    ],
    ids=["locales", "channel"],
)
def test_a_filter_the_pim_cannot_apply_is_refused_before_the_run(
    server: EmulatorServer, tmp_path: Path, flags: list[str], line: str
) -> None:
    db = tmp_path / "c.db"
    result = fails("export", "--to", str(db), "--url", server.url, *CREDS, *flags, code=CONFIG)
    assert result == f"error: {line}"
    assert not db.exists()


def test_a_refused_app_token_names_the_token(server: EmulatorServer, tmp_path: Path) -> None:
    args = ["export", "--to", str(tmp_path / "c.db"), "--url", server.url, "--token", "nope"]
    assert fails(*args, code=AKENEO) == (
        f"error: GET {server.url}/api/rest/v1/locales?limit=100 -> 401: The access token "
        "provided is invalid: the App token was refused (revoked or mistyped?): check --token or "
        "AKENEO_TOKEN"
    )


def test_no_command_shows_the_help_not_an_error_line() -> None:
    result = akeneo_sync()
    assert result.returncode == CONFIG
    assert result.stderr.startswith("Usage: akeneo-sync [OPTIONS] COMMAND [ARGS]...")
    assert "error:" not in result.stderr
