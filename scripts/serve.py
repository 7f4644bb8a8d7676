"""`python3 dev.py run`: migrate and seed, then serve the studio where the settings say.

The studio listens on 127.0.0.1 unless `studio_host` (STUDIO_HOST) or `--host` opens it,
on `port` (PORT) or `--port`. A manually set address also keeps Streamlit from looking up
the machine's public IP at start.
"""

from __future__ import annotations

import argparse
import os
import sys

from core.config import get_settings
from scripts.prepare import prepare

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def streamlit_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", host, "--server.port", str(port)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py run")
    parser.add_argument("--host", help="address to listen on (default: the studio_host setting, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: PORT or 8501)")
    args = parser.parse_args(argv)
    settings = get_settings()
    host = args.host or settings.studio_host
    port = args.port or settings.port
    prepare(settings)
    if host not in LOOPBACK and not settings.sign_in_configured:
        print(
            f"[studio] WARNING listening on {host} without sign-in: anyone who can reach this machine "
            "can use the studio. Turn on sign-in (AUTH_LOCAL=true) or set PUBLIC_MODE=true to refuse that.",
            flush=True,
        )
    print(f"[studio] serving on http://{'localhost' if host in LOOPBACK else host}:{port}", flush=True)
    env = {**os.environ, "STUDIO_PREPARED": "1"}
    os.execve(sys.executable, streamlit_command(host, port), env)


if __name__ == "__main__":
    sys.exit(main())
