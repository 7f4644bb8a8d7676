"""Migrate and seed before the server starts, and say what each subsystem uses."""

from __future__ import annotations

import logging

from core.bootstrap import build_services, describe
from core.config import get_settings
from seeds.loader import seed_actors


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[studio] %(message)s")
    services = build_services(get_settings(), run_jobs=False)
    try:
        services.db.migrate()
        created = seed_actors(services)
        for line in describe(services):
            print(f"[studio] {line}", flush=True)
        print(f"[studio] catalog ready ({created} actors added)", flush=True)
    finally:
        services.close()


if __name__ == "__main__":
    main()
