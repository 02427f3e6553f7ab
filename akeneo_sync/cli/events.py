"""The ``listen`` and ``events`` commands: parse flags, call ``akeneo_sync.listen``.

Registered on the main group by the last line of ``commands.py``, from whose shared options
(connection, destination and filters, error handling) they are built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from akeneo_sync.cli.commands import cli, handle_errors
from akeneo_sync.cli.console import setup_logging
from akeneo_sync.cli.options import (
    connection_from,
    connection_options,
    deletes_option,
    export_options,
    export_options_from,
    output_options,
)
from akeneo_sync.client.events import DEFAULT_EVENTS_URL, EventPlatform
from akeneo_sync.errors import ConfigError
from akeneo_sync.listen import secrets as event_secrets
from akeneo_sync.listen import subscribe as subs
from akeneo_sync.run.schedule import install_stop_handlers, parse_duration

T = TypeVar("T")


def _reconcile_every(text: str) -> timedelta | None:
    return None if text.strip().lower() in ("0", "off", "never") else parse_duration(text)


def _secrets_file(kwargs: dict[str, Any]) -> Path:
    given = kwargs.pop("secrets_file")
    return Path(given) if given else event_secrets.default_file(kwargs.get("config_file"))


@cli.command("listen")
@export_options
@click.option("--port", default=8000, show_default=True, help="Port to receive events on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--path", default="/", show_default=True, help="URL path events are POSTed to.")
@click.option("--secret", help="The subscription's signing secret [env AKENEO_EVENTS_SECRET].")
@click.option(
    "--secondary-secret",
    help="A second accepted secret, while rotating [env AKENEO_EVENTS_SECONDARY_SECRET].",
)
@click.option(
    "--secrets-file",
    type=click.Path(dir_okay=False),
    help="Written by `events subscribe` (default: beside --config, else ./akeneo-events.toml).",
)
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), help="TLS certificate.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), help="TLS private key.")
@click.option(
    "--reconcile-every",
    default="1h",
    show_default=True,
    help="Run an incremental sync at start and then this often, to repair what events missed "
    "(0: never).",
)
@deletes_option
@click.option("--overlap", default="5m", show_default=True, help="As for sync.")
@click.option("--spool", type=click.Path(dir_okay=False), help="Spool file (default: beside DEST).")
@click.option(
    "--spool-limit", default=100_000, show_default=True, help="Pending events before 429."
)
@click.option("--batch-size", default=500, show_default=True, help="Events applied together.")
@click.option(
    "--batch-wait",
    default=1.0,
    show_default=True,
    help="Seconds to let events gather before applying them.",
)
@connection_options
@output_options
@handle_errors
def listen_command(**kwargs: Any) -> None:
    """Receive Akeneo Event Platform events and apply them to DEST within seconds.

    Each event is checked (signature), stored (a local spool beside DEST) and acknowledged at
    once; Akeneo's current state of what it names is then fetched and written. An incremental
    sync runs at start and every --reconcile-every to repair events the platform lost.

    \b
    Examples:
      akeneo-sync events subscribe --destination-url https://sync.example.com/akeneo
      akeneo-sync listen --to catalog.db --port 8000 --path /akeneo
    """
    from akeneo_sync.listen.service import Listener, ListenSettings  # the receiver's server

    secrets_file = _secrets_file(kwargs)
    flags = {"secret": kwargs["secret"], "secondary_secret": kwargs["secondary_secret"]}
    accepted = event_secrets.accepted(flags, kwargs.get("config_file"), secrets_file)
    if not accepted:
        raise ConfigError(
            f"no events secret: give --secret, set AKENEO_EVENTS_SECRET, add events_secret to "
            f"the config file, or run `akeneo-sync events subscribe` (writes {secrets_file})"
        )
    if bool(kwargs["certfile"]) != bool(kwargs["keyfile"]):
        raise ConfigError("give both --certfile and --keyfile, or neither")
    connection = connection_from(kwargs)
    options = export_options_from(kwargs)
    options.overlap = parse_duration(kwargs["overlap"])
    options.deletes = kwargs["deletes"]
    settings = ListenSettings(
        secrets=accepted,
        host=kwargs["host"],
        port=kwargs["port"],
        path=kwargs["path"],
        certfile=kwargs["certfile"],
        keyfile=kwargs["keyfile"],
        spool=kwargs["spool"],
        spool_limit=kwargs["spool_limit"],
        batch_size=kwargs["batch_size"],
        batch_wait=kwargs["batch_wait"],
        reconcile_every=_reconcile_every(kwargs["reconcile_every"]),
    )
    setup_logging(kwargs["verbose"], kwargs["quiet"])
    listener = Listener(
        kwargs["destination"],
        connection,
        options,
        settings,
        format=kwargs["file_format"],
        table_prefix=kwargs["table_prefix"],
        concurrency=kwargs["concurrency"],
    )

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_handlers(stop)
        await listener.run(stop)

    asyncio.run(main())


@cli.group("events")
def events_group() -> None:
    """Manage the Event Platform subscription that `akeneo-sync listen` receives.

    \b
    Examples:
      akeneo-sync events subscribe --destination-url https://sync.example.com/akeneo \\
          --email ops@example.com
      akeneo-sync events status
      akeneo-sync events resume
      akeneo-sync events unsubscribe
    """


def platform_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--secrets-file",
        type=click.Path(dir_okay=False),
        help="Where the secret is kept (default: beside --config, else ./akeneo-events.toml).",
    )(fn)
    fn = click.option(
        "--events-url",
        default=DEFAULT_EVENTS_URL,
        show_default=True,
        help="The management API (the emulator's: <url>/event-platform/api/v1).",
    )(fn)
    return connection_options(fn)


def _on_platform(kwargs: dict[str, Any], work: Callable[[EventPlatform], Awaitable[T]]) -> T:
    connection = connection_from(kwargs)

    async def main() -> T:
        async with subs.platform(connection, kwargs["events_url"]) as platform:
            return await work(platform)

    return asyncio.run(main())


@events_group.command("subscribe")
@click.option("--destination-url", required=True, help="The public HTTPS URL of `listen`.")
@click.option("--email", help="Technical e-mail the platform warns (needed the first time).")
@platform_options
@handle_errors
def subscribe_command(**kwargs: Any) -> None:
    """Create (or update) the subscription that sends events to --destination-url.

    A new secret is printed once and written to the secrets file, where `listen` reads it.

    \b
    Example:
      akeneo-sync events subscribe --destination-url https://sync.example.com/akeneo \\
          --email ops@example.com --config akeneo.toml
    """
    path = _secrets_file(kwargs)
    known = event_secrets.read_file(path)
    url, email = kwargs["destination_url"], kwargs["email"]
    done = _on_platform(kwargs, lambda p: subs.subscribe(p, url, known, email))
    event_secrets.write_file(path, done.record(kwargs["events_url"]))
    verb = "created" if done.created else "updated"
    click.echo(f"subscription {done.subscription['id']} {verb}: {url}")
    click.echo(f"  status {done.subscription.get('status')}, {len(subs.EVENT_TYPES)} event types")
    if done.new_secret:
        click.echo(f"  secret {done.secret}  (shown once; kept in {path})")
    else:
        click.echo(f"  secret unchanged (in {path})")


@events_group.command("status")
@platform_options
@handle_errors
def status_command(**kwargs: Any) -> None:
    """Show the subscribers and subscriptions of these credentials.

    \b
    Example:
      akeneo-sync events status --config akeneo.toml
    """
    path = _secrets_file(kwargs)
    known = event_secrets.read_file(path)
    found = _on_platform(kwargs, subs.status)
    if not found:
        click.echo("no subscriber: run `akeneo-sync events subscribe`")
    for subscriber, subscriptions in found:
        email = (subscriber.get("contact") or {}).get("technical_email", "")
        click.echo(
            f"subscriber {subscriber['id']} {subscriber.get('name', '')!r} "
            f"{subscriber.get('status', '')} {email}"
        )
        for sub in subscriptions:
            mine = " (in the secrets file)" if sub["id"] == known.get("subscription_id") else ""
            click.echo(
                f"  subscription {sub['id']} {sub.get('status')}: "
                f"{(sub.get('config') or {}).get('url')}, {len(sub.get('events', []))} event "
                f"types{mine}"
            )
    click.echo(f"secrets file {path}: {'a secret' if known.get('secret') else 'no secret'}")


@events_group.command("resume")
@platform_options
@handle_errors
def resume_command(**kwargs: Any) -> None:
    """Resume a suspended subscription (events sent meanwhile are lost: `listen` reconciles).

    \b
    Example:
      akeneo-sync events resume --config akeneo.toml
    """
    known = event_secrets.read_file(_secrets_file(kwargs))
    resumed = _on_platform(kwargs, lambda p: subs.resume(p, known))
    for sub in resumed:
        click.echo(f"subscription {sub['id']} {sub.get('status')}")
    if not resumed:
        click.echo("no suspended subscription")


@events_group.command("unsubscribe")
@click.option("--destination-url", help="Delete the subscriptions to this URL instead.")
@platform_options
@handle_errors
def unsubscribe_command(**kwargs: Any) -> None:
    """Delete the subscription (and the akeneo-sync subscriber when it has no other).

    \b
    Example:
      akeneo-sync events unsubscribe --config akeneo.toml
    """
    path = _secrets_file(kwargs)
    known = event_secrets.read_file(path)
    url = kwargs["destination_url"]
    gone = _on_platform(kwargs, lambda p: subs.unsubscribe(p, known, url))
    for sub in gone:
        click.echo(f"subscription {sub['id']} deleted")
    if not gone:
        click.echo("no subscription to delete")
    if known and (url is None or known.get("destination_url") == url):
        path.unlink(missing_ok=True)
