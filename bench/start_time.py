"""The start of an export: from the process start to Akeneo's first answers.

    .venv/bin/python bench/start_time.py --source . --source ../other-tree

Against one emulator (``--latency-ms 400 --max-concurrency 4``, 20,000 products), runs
``akeneo-sync export --to <fresh .db> --labels en_US -v`` from each source tree in turn (after
one untimed run of each), reads its request log (each line: a request's end and its duration)
until ``--answers`` requests have ended, then stops it. Prints, per run, when the first request
went out (the end of the first one minus its duration: the token is asked within it) and when
the first answer and the ``--answers``-th came, in seconds from the process start.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from emulated import start_emulator

LOGGED = re.compile(r"\((\d+) ms\)$")


def one_run(source: str, url: str, answers: int) -> tuple[float, float, float]:
    env = dict(
        os.environ,
        PYTHONPATH=str(Path(source).resolve()),
        AKENEO_URL=url,
        AKENEO_CLIENT_ID="demo",
        AKENEO_CLIENT_SECRET="demo-secret",
        AKENEO_USERNAME="demo",
        AKENEO_PASSWORD="demo",
    )
    with tempfile.TemporaryDirectory() as work:
        cmd = [sys.executable, "-P", "-m", "akeneo_sync", "export", "--to", f"{work}/c.db"]
        started = time.monotonic()
        proc = subprocess.Popen(
            [*cmd, "--labels", "en_US", "-v"],
            env=env,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        ends: list[tuple[float, float]] = []
        for line in proc.stderr:
            found = LOGGED.search(line.rstrip())
            if found:
                ends.append((time.monotonic() - started, int(found[1]) / 1000))
                if len(ends) == answers:
                    break
        proc.kill()
        proc.wait()
    first_end, first_took = ends[0]
    return first_end - first_took, first_end, ends[-1][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="append", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--answers", type=int, default=5)
    args = parser.parse_args()
    emulator, url = start_emulator(
        ["--products", "20000", "--latency-ms", "400", "--max-concurrency", "4"]
    )
    try:
        for source in args.source:  # untimed: files read and compiled once, as on a user's disk
            one_run(source, url, args.answers)
        print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
        print()
        print(f"| source | first request, s | first answer, s | answer {args.answers}, s |")
        print("|---|---:|---:|---:|")
        for _ in range(args.repeat):
            for source in args.source:
                sent, first, last = one_run(source, url, args.answers)
                print(f"| {source} | {sent:.2f} | {first:.2f} | {last:.2f} |", flush=True)
    finally:
        emulator.kill()


if __name__ == "__main__":
    main()
