"""``akeneo-sync emulator``: serve a generated Akeneo-compatible API until Ctrl-C / SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

import click

from akeneo_sync.emulator.config import EmulatorConfig

RATE = click.FloatRange(0, 1)


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option("--products", default=1000, show_default=True, type=int, help="Number of products.")
@click.option("--seed", default=42, show_default=True, type=int)
@click.option(
    "--families",
    default=6,
    show_default=True,
    type=click.IntRange(1, 5000),
    help="Number of product families (the six built-in ones first).",
)
@click.option(
    "--family-skew",
    type=click.FloatRange(min=0),
    help="Spread products over families by a Zipf-like law: 0 = even, 1.2 = one family holds "
    "about half. Default: the built-in mix.",
)
@click.option(
    "--created-days",
    type=click.FloatRange(min=0, min_open=True),
    help="Products and models created within this many days (default: two years; 0.25: a "
    "catalog imported in one go).",
)
@click.option("--client-id", default="demo", show_default=True)
@click.option("--secret", default="demo-secret", show_default=True)
@click.option("--username", default="demo", show_default=True)
@click.option("--password", default="demo", show_default=True)
@click.option(
    "--variant-values",
    type=click.Choice(["merged", "own"]),
    default="merged",
    show_default=True,
    help="Variants return ancestors' values merged in (Akeneo 7) or only their own.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    type=float,
    help="Every answer takes at least this long, the emulator's own work included.",
)
@click.option("--latency-per-item-ms", default=0.0, type=float, help="Per returned item.")
@click.option("--jitter-ms", default=0.0, type=float, help="Random extra latency, up to this.")
@click.option(
    "--max-concurrency",
    default=0,
    type=int,
    help="In-flight requests per API connection before answering 429 (0 = unlimited).",
)
@click.option("--no-retry-after", is_flag=True, help="Omit Retry-After on 429 responses.")
@click.option("--retry-after-seconds", default=1, type=int, show_default=True)
@click.option(
    "--error-rate", default=0.0, type=RATE, help="Share of requests answered 500/502/503."
)
@click.option("--drop-rate", default=0.0, type=RATE, help="Share of responses cut mid-body.")
@click.option(
    "--truncate-rate",
    default=0.0,
    type=RATE,
    help="Share of 200 JSON answers sent whole but ending half-way through the JSON.",
)
@click.option(
    "--garbage-rate",
    default=0.0,
    type=RATE,
    help="Share of 200 JSON answers with a PHP notice in front (not JSON).",
)
@click.option(
    "--html-login",
    is_flag=True,
    help="Answer every API and token call with an SSO login page (200, text/html).",
)
@click.option(
    "--stall-rate", default=0.0, type=RATE, help="Share of answers held back --stall-ms first."
)
@click.option("--stall-ms", default=60_000.0, type=float, show_default=True)
@click.option(
    "--token-ttl",
    default=3600,
    type=click.IntRange(min=1),
    show_default=True,
    help="Access token lifetime in seconds (a few seconds exercises refreshes).",
)
def emulator_command(**options: object) -> None:
    """Serve an Akeneo-compatible API on a generated catalog.

    \b
    Example:
      akeneo-sync emulator --products 10000 --seed 1 --max-concurrency 4
      akeneo-sync emulator --products 50000 --families 40 --family-skew 1.2
      akeneo-sync emulator --truncate-rate 0.01 --stall-rate 0.01 --stall-ms 90000
    Stats: GET /_emulator/stats   Faults at runtime: POST /_emulator/faults
    """
    import uvicorn

    from akeneo_sync.emulator.app import create_app

    retry_after = not options.pop("no_retry_after")
    config = EmulatorConfig(retry_after=retry_after, **options)  # type: ignore[arg-type]
    started = time.monotonic()
    click.echo(f"Generating {config.products} products (seed {config.seed})...", err=True)
    app = create_app(config)
    emu = app.state.emu
    elapsed = time.monotonic() - started
    url = f"http://{config.host}:{config.port}"
    click.echo(
        f"Akeneo emulator ready in {elapsed:.1f}s: {len(emu.catalog.p_family)} products, "
        f"{len(emu.catalog.m_code)} product models, {len(emu.catalog.family_codes)} families"
    )
    click.echo(f"  base URL:      {url}")
    click.echo(f"  client id:     {config.client_id}")
    click.echo(f"  secret:        {config.secret}")
    click.echo(f"  username:      {config.username}")
    click.echo(f"  password:      {config.password}")
    click.echo(f"  stats:         {url}/_emulator/stats")
    click.echo("Press Ctrl-C to stop.")
    server = _QuietServer(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    )
    server.run()
    click.echo("Emulator stopped.")


def _quiet_server_class() -> type:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which turns a requested
        stop into a non-zero exit; here a signal only asks the server to stop."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            def stop(sig: int, frame: FrameType | None) -> None:
                if self.should_exit:
                    self.force_exit = True
                self.should_exit = True

            previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return QuietServer


def _QuietServer(config: object) -> Any:
    return _quiet_server_class()(config)


def main() -> None:  # ``python -m akeneo_sync.emulator.cli`` before the main CLI registers us
    emulator_command()


if __name__ == "__main__":
    main()
