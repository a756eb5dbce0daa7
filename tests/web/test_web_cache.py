"""The dashboard's result cache: exact versions for past views, a bounded age for the latest heatmap and map."""

from __future__ import annotations

from perpscope.web.cache import ResultCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_latest_result_is_rerun_on_new_data_at_most_once_per_max_age() -> None:
    clock, runs = Clock(), []

    def compute(label: str) -> str:
        runs.append(label)
        return label

    cache = ResultCache(entries=2, clock=clock)
    assert cache.recent("heatmap", "BTC 24h", 1, lambda: compute("v1"), 60.0) == "v1"
    clock.now = 30.0  # new data 30 s later: the run from v1 is served
    assert cache.recent("heatmap", "BTC 24h", 2, lambda: compute("v2"), 60.0) == "v1"
    clock.now = 61.0  # more than 60 s since the run: rerun on the newest data
    assert cache.recent("heatmap", "BTC 24h", 3, lambda: compute("v3"), 60.0) == "v3"
    clock.now = 500.0  # same data however old: no rerun
    assert cache.recent("heatmap", "BTC 24h", 3, lambda: compute("v3 again"), 60.0) == "v3"
    assert runs == ["v1", "v3"]


def test_exact_results_are_kept_per_version_and_the_oldest_entry_leaves_first() -> None:
    cache, runs = ResultCache(entries=2), []
    for version in (1, 2, 1, 3, 1, 2):
        cache.get("map", version, lambda version=version: runs.append(version) or version)
    assert runs == [1, 2, 3, 2]  # 1 reused twice; 2 left when 3 came (1 was used more recently)
    assert (cache.hits, cache.misses) == (2, 4)
