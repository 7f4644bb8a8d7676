"""`bench.repeat` gathers the same measurement across runs and reports min / median / max."""

from __future__ import annotations

import json
import sys

from bench import repeat


def test_lines_naming_the_same_measurement_are_gathered_across_runs() -> None:
    runs = [
        [{"bench": "q", "db": "sqlite", "median_ms": 3.0}, {"bench": "q", "db": "postgres", "median_ms": 9.0}],
        [{"bench": "q", "db": "sqlite", "median_ms": 1.0}, {"bench": "q", "db": "postgres", "median_ms": 7.0}],
        [{"bench": "q", "db": "sqlite", "median_ms": 2.0}, {"bench": "q", "db": "postgres", "median_ms": 8.0}],
    ]
    by_db = {f["db"]: f for f in repeat.summarise(runs)}
    assert by_db["sqlite"]["median_ms"] == {"min": 1.0, "median": 2.0, "max": 3.0}
    assert by_db["postgres"]["median_ms"] == {"min": 7.0, "median": 8.0, "max": 9.0}
    assert by_db["sqlite"]["runs"] == 3


def test_a_run_reports_commit_load_and_the_process_trees_cpu(capsys) -> None:  # type: ignore[no-untyped-def]
    # the child burns CPU in a grandchild, which must count (FFmpeg runs as one)
    script = (
        "import json, subprocess, sys;"
        "subprocess.run([sys.executable, '-c', 'sum(i*i for i in range(3_000_000))'], check=True);"
        "print('warming up'); print(json.dumps({'bench': 'x', 'ms': 5}))"
    )
    assert repeat.main(["--runs", "2", "--", sys.executable, "-c", script]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["figures"] == [{"bench": "x", "ms": {"min": 5, "median": 5.0, "max": 5}, "runs": 2}]
    assert len(report["cpu_s_per_run"]) == 2 and all(cpu > 0.05 for cpu in report["cpu_s_per_run"])
    assert report["commit"] and len(report["load_start"]) == 3


def test_nested_figures_are_gathered_as_dotted_fields_and_sample_lists_are_not_a_key() -> None:
    lines = [
        {"bench": "postprod", "ours": {"cpu_s": c, "n": 1}, "all_walls_s": {"ours": [c]}, "samples": [c, c]}
        for c in (3.0, 1.0, 2.0)
    ]
    (figure,) = repeat.summarise([[repeat.flatten(line)] for line in lines])
    assert figure["ours.cpu_s"] == {"min": 1.0, "median": 2.0, "max": 3.0}
    assert figure["runs"] == 3 and "samples" not in figure
