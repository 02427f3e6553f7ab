"""The flags shared by the commands, and how they become the library's arguments.

Values are checked when click parses them (ranges, durations, dates), before any connection, so
a typo is click's one-line error naming the flag; what only the PIM can check (a locale, a
channel) is checked by ``api.check_options`` before the destination is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from akeneo_sync import resources as res
from akeneo_sync.errors import ConfigError
from akeneo_sync.extract import Filters
from akeneo_sync.run.options import ExportOptions
from akeneo_sync.settings import Connection, load_connection
from akeneo_sync.sinks import FORMATS


def connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--url, --client-id, ... --config; flags win over AKENEO_* variables over the file."""
    for flag, help_text in reversed(
        [
            ("--url", "Akeneo base URL, e.g. https://my-pim.cloud.akeneo.com [env AKENEO_URL]"),
            ("--client-id", "Connection client id [env AKENEO_CLIENT_ID]"),
            ("--client-secret", "Connection secret [env AKENEO_CLIENT_SECRET]"),
            ("--username", "Connection username [env AKENEO_USERNAME]"),
            ("--password", "Connection password [env AKENEO_PASSWORD]"),
            ("--token", "An App access token instead of the four above [env AKENEO_TOKEN]"),
        ]
    ):
        fn = click.option(flag, help=help_text)(fn)
    fn = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        help="TOML file with an [akeneo] table (url, client_id, ...).",
    )(fn)
    fn = click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=4,
        show_default=True,
        help="Requests in flight (SaaS allows 4).",
    )(fn)
    return fn


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("-q", "--quiet", is_flag=True, help="Only errors and the summary.")(fn)
    fn = click.option("-v", "--verbose", count=True, help="Log each request (-vv: more).")(fn)
    return fn


def connection_from(kwargs: dict[str, Any]) -> Connection:
    flags = {
        k: kwargs.pop(k)
        for k in ("url", "client_id", "client_secret", "username", "password", "token")
    }
    return load_connection(flags, kwargs.pop("config_file"))


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{value!r} is not a date: use an ISO date or time, e.g. 2024-05-01 or "
            "2024-05-01T08:00:00+02:00 (no offset means UTC)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parsed(parse: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback: the value parsed at parse time, before any connection, so a typo in a
    duration or a date is click's one-line error naming the flag."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return parse(value)
        except ConfigError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


deletes_option = click.option(
    "--deletes",
    type=click.Choice(["soft", "hard", "ignore"]),
    default="soft",
    show_default=True,
    help="Deleted upstream: mark deleted_at (soft), remove (hard) or keep (ignore).",
)


def export_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """What to read and where to write it: shared by export and sync."""
    for decorator in reversed(
        [
            click.option(
                "--to",
                "destination",
                required=True,
                help="catalog.json, catalog.xlsx, a directory, a .db/.sqlite file, sqlite:///, "
                "postgresql://, mysql://, mongodb://",
            ),
            click.option(
                "--format",
                "file_format",
                type=click.Choice(list(FORMATS)),
                help="File format when --to is a directory (default jsonl).",
            ),
            click.option(
                "--flat",
                is_flag=True,
                help="catalog.json: Akeneo's flat product rows instead of product documents.",
            ),
            click.option(
                "--raw-cells",
                is_flag=True,
                help="CSV, XLSX: no leading ' before text starting with = + - @ (formulas).",
            ),
            click.option(
                "--labels",
                metavar="LOCALE",
                help="Resolve option labels, category paths, family and record labels in LOCALE.",
            ),
            click.option(
                "--channel", help="Only this channel's scopable values and category tree."
            ),
            click.option("--locales", help="Comma-separated locales of localizable values."),
            click.option("--families", help="Comma-separated family codes."),
            click.option("--categories", help="Comma-separated category codes (and children)."),
            click.option("--enabled-only", is_flag=True, help="Skip disabled products."),
            click.option(
                "--updated-since",
                callback=parsed(_since),
                help="Products updated after this ISO date/time.",
            ),
            click.option(
                "--attributes",
                help="Comma-separated attribute codes: only their values are asked for "
                "(products and models; list the identifier, e.g. sku,name,price).",
            ),
            click.option(
                "--with-completenesses",
                is_flag=True,
                help="Products carry Akeneo's completeness per channel and locale.",
            ),
            click.option(
                "--with-quality-scores",
                is_flag=True,
                help="Products and models carry Akeneo's quality scores (A-E).",
            ),
            click.option(
                "--media",
                "media_dir",
                type=click.Path(file_okay=False),
                help="Download product media files into this directory.",
            ),
            click.option(
                "--resources", help=f"Comma-separated subset of: {', '.join(res.BY_NAME)}."
            ),
            click.option("--table-prefix", default="", help="Prefix for table/collection names."),
            click.option(
                "--values-table/--no-values-table",
                default=None,
                help="SQL databases: keep or leave out the long product_values table (without "
                "it, query the products' JSON documents). Default: as the destination has it, "
                "kept in a new one.",
            ),
            click.option(
                "--replace",
                is_flag=True,
                help="DEST mirrors another Akeneo or connection: replace its content.",
            ),
            # Products between two mid-run commits (databases); hidden: for tests and tuning.
            click.option(
                "--checkpoint-every", type=click.IntRange(min=1), default=10_000, hidden=True
            ),
        ]
    ):
        fn = decorator(fn)
    return fn


def export_options_from(kwargs: dict[str, Any]) -> ExportOptions:
    options = ExportOptions(
        filters=Filters(
            channel=kwargs["channel"],
            locales=_csv(kwargs["locales"]),
            families=_csv(kwargs["families"]),
            categories=_csv(kwargs["categories"]),
            enabled_only=kwargs["enabled_only"],
            updated_since=kwargs["updated_since"],
            attributes=_csv(kwargs.get("attributes")),
            with_completenesses=kwargs.get("with_completenesses", False),
            with_quality_scores=kwargs.get("with_quality_scores", False),
        ),
        labels=kwargs["labels"],
        media_dir=Path(kwargs["media_dir"]) if kwargs["media_dir"] else None,
        checkpoint_every=kwargs["checkpoint_every"],
        replace=kwargs.get("replace", False),
        values_table=kwargs.get("values_table"),
    )
    if kwargs["resources"]:
        chosen = _csv(kwargs["resources"]) or []
        unknown = sorted(set(chosen) - set(res.BY_NAME))
        if unknown:
            raise ConfigError(f"--resources: unknown {', '.join(unknown)}")
        options.resources = tuple(chosen)
    return options
