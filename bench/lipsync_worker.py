"""The studio's RQ worker with the benchmark's one-step lip-sync pipeline registered."""

import os

import bench.bench_providers  # noqa: F401  (registers the bench_lipsync pipeline)
from core.adapters.providers import cloud
from jobs.worker import main

_build = cloud.BUILDERS[("lipsync", "wavespeed")]


def _with_poll_interval(settings, media, storage):  # type: ignore[no-untyped-def]
    provider, model = _build(settings, media, storage)
    provider._poll_after_s = float(
        os.environ.get("BENCH_POLL_S", "5")
    )  # the documented interval, made shorter for runs
    return provider, model


cloud.BUILDERS[("lipsync", "wavespeed")] = _with_poll_interval

if __name__ == "__main__":
    main()
