"""What the benchmarks share: a free loopback port, and the emulator in a process of its own.

Imported by the scripts beside it (``python bench/<script>.py`` puts this folder on the path).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_emulator(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    """``akeneo-sync emulator`` with ``args`` on a free port; its base URL once it listens."""
    port = free_port()
    cmd = [sys.executable, "-m", "akeneo_sync", "emulator", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if re.search(r"base URL", line):
            break
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # never block on a full pipe
    return proc, f"http://127.0.0.1:{port}"
