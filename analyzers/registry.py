"""The explicit registry of analyzers, in the order a scan runs them (DESIGN principle 7)."""

from __future__ import annotations

from typing import cast

from devmetrics.analyzers import attribution, debt, history, hotspots, reviews, throughput
from devmetrics.metrics import Analyzer, MetricDef

ANALYZERS: dict[str, Analyzer] = {
    "history": cast(Analyzer, history),
    "attribution": cast(Analyzer, attribution),
    "reviews": cast(Analyzer, reviews),
    "throughput": cast(Analyzer, throughput),
    "debt": cast(Analyzer, debt),
    "hotspots": cast(Analyzer, hotspots),
}


def all_metrics() -> list[tuple[str, MetricDef]]:
    """(analyzer name, metric) for every registered metric."""
    return [(name, metric) for name, analyzer in ANALYZERS.items() for metric in analyzer.METRICS]
