"""Migrate and seed before the server starts, and say what each subsystem uses (once)."""

from __future__ import annotations

from core.bootstrap import build_services, describe
from core.config import Settings, get_settings
from core.logs import configure_logging
from seeds.loader import seed_actors


def prepare(settings: Settings) -> None:
    log = configure_logging(settings.data_dir)
    services = build_services(settings, run_jobs=False)
    try:
        services.db.migrate()
        created = seed_actors(services)
        for line in describe(services):
            print(f"[studio] {line}", flush=True)
        print(f"[studio] catalog ready ({created} actors added); log: {log}", flush=True)
    finally:
        services.close()


def main() -> None:
    prepare(get_settings())


if __name__ == "__main__":
    main()
