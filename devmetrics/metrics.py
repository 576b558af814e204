"""The metric registry's record type and the Analyzer protocol (DESIGN §4, principle 7).

Every metric knows its unit, whether lower or higher is better, how it rolls up and its definition;
dashboards, targets and `--json` outputs read only `metric_values` and these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from devmetrics.config import Config
    from devmetrics.store import Store

DIRECTIONS = ("higher", "lower", "neutral")
ROLLUPS = ("sum", "mean", "max", "distinct", "ratio")


@dataclass(frozen=True)
class MetricDef:
    name: str  # dotted, analyzer first: history.commits
    title: str  # what a chart is called
    unit: str
    direction: str  # higher, lower or neutral: which way is better
    rollup: str  # how values of smaller scopes or periods combine
    definition: str  # one or two sentences a manager can read

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS or self.rollup not in ROLLUPS:
            raise ValueError(f"metric {self.name}: bad direction {self.direction!r} or rollup {self.rollup!r}")


class Analyzer(Protocol):
    """An analyzer is a module with these names; `devmetrics.analyzers.registry` lists them."""

    NAME: str
    METRICS: tuple[MetricDef, ...]

    def analyze(self, store: Store, config: Config) -> int:
        """Recompute this analyzer's metrics when their inputs changed; return rows written."""
        ...
