"""The bootstrap over developers: exact sums, reproducible intervals, and calibration on simulated histories."""

from __future__ import annotations

import datetime
import math
import random
import time
from collections.abc import Callable

import pytest

from devmetrics.analyzers import bootstrap
from devmetrics.analyzers.throughput import Change, Group, Settings, multiplier_figure

HISTORIES = 200
SAMPLES = 1000
WEEKS = 12
Developer = tuple[int, int, int, int]


# --------------------------------------------------------------------------------------- the mechanics


def test_packed_sums_equal_plain_sums() -> None:
    rng = random.Random(3)
    strata = [[(rng.randrange(0, 10**6), rng.randrange(0, 3)) for _ in range(40)], [(7, 0), (0, 9)]]
    packer = bootstrap._Packer(strata, [3, 1])
    for stratum in strata:
        for counts in stratum:
            assert packer.unpack(packer.pack(counts)) == counts
    # The widest possible weighted sum (every draw the largest unit) still unpacks exactly.
    biggest = max(strata[0], key=lambda counts: counts[0])
    total = 3 * sum(packer.pack(biggest) for _ in range(40)) + sum(packer.pack((7, 0)) for _ in range(2))
    assert packer.unpack(total) == (biggest[0] * 120 + 14, biggest[1] * 120)


def test_resampled_sums_estimate_each_stratum_total() -> None:
    # Three ones and two tens: n - 1 draws of each stratum, scaled by n / (n - 1), give 3 + 20 every time.
    sums = bootstrap.resampled_sums([[(1,)] * 3, [(10,)] * 2], samples=50, rng=random.Random(1))
    assert set(sums) == {(23.0,)}


def test_refuses_negative_counts_and_empty_input() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        bootstrap.resampled_sums([[(1, -1)]], samples=1, rng=random.Random(1))
    with pytest.raises(ValueError, match="nothing to resample"):
        bootstrap.resampled_sums([[]], samples=1, rng=random.Random(1))
    with pytest.raises(ValueError, match="positive denominators"):
        bootstrap.ratio_of_sums([(1, 0), (1, 1)], samples=10, rng=random.Random(1))


def test_percentile_interval_interpolates_like_numpy() -> None:
    values = [float(v) for v in range(101)]  # percentiles are the values themselves
    assert bootstrap.percentile_interval(values) == pytest.approx((2.5, 97.5))
    assert bootstrap.percentile_interval([4.0, 1.0, 3.0, 2.0], confidence=0.5) == (1.75, 3.25)


def test_same_seed_same_interval() -> None:
    units = [(5, 2), (9, 3), (1, 1), (12, 4), (3, 2), (8, 2)]
    first = bootstrap.ratio_of_sums(units, samples=500, rng=random.Random("x"))
    second = bootstrap.ratio_of_sums(units, samples=500, rng=random.Random("x"))
    assert first == second
    assert first.value == pytest.approx(38 / 14)
    assert first.low < first.value < first.high


def test_paired_developers_keep_their_correlation() -> None:
    # Everyone doubles their own rate: however developers are drawn, window ÷ baseline is exactly 2, so the
    # paired resampling gives a zero-width interval where independent resampling would not.
    rng = random.Random(5)
    developers = []
    for _ in range(20):
        weeks, rate = rng.randrange(1, 12), rng.randrange(1, 9)
        developers.append((2 * rate * weeks, weeks, rate * weeks, weeks))
    estimate = bootstrap.rate_ratio(developers, samples=300, rng=rng)
    assert (estimate.low, estimate.value, estimate.high) == pytest.approx((2.0, 2.0, 2.0))


def test_rate_ratio_hand_computed_with_people_in_one_period_only() -> None:
    # Two developers in both periods, two in the window only, two in the baseline only.
    developers = [(6, 2, 2, 2), (4, 2, 3, 1), (3, 1, 0, 0), (5, 1, 0, 0), (0, 0, 4, 4), (0, 0, 1, 1)]
    estimate = bootstrap.rate_ratio(developers, samples=200, rng=random.Random(2))
    assert estimate.value == pytest.approx((18 / 6) / (10 / 8))
    assert estimate.low < estimate.value < estimate.high
    with pytest.raises(ValueError, match="each period"):
        bootstrap.rate_ratio([(1, 1, 0, 0), (2, 1, 0, 0)], samples=10, rng=random.Random(2))


def test_geometric_mean() -> None:
    estimate = bootstrap.geometric_mean([2.0, 8.0, 4.0, 4.0], samples=400, rng=random.Random(1))
    assert estimate.value == pytest.approx(4.0)
    assert estimate.low < 4.0 < estimate.high
    same = bootstrap.geometric_mean([3.0] * 6, samples=100, rng=random.Random(1))
    assert (same.low, same.value, same.high) == pytest.approx((3.0, 3.0, 3.0))


def test_student_t_quantiles() -> None:
    assert bootstrap.student_t_975(4) == 2.776
    for df, exact in ((31, 2.0395), (60, 2.0003), (120, 1.9799), (10_000, 1.9602)):
        assert bootstrap.student_t_975(df) == pytest.approx(exact, abs=2e-4)


def test_expanded_interval_stretches_on_the_log_scale() -> None:
    # 5 developers: df 4, factor t(4) / z = 2.776 / 1.96; the percentile interval [1, 4] around 2 becomes
    # 2 · (1/2)^factor to 2 · 2^factor.
    statistics = [1.0] * 30 + [2.0] * 940 + [4.0] * 30
    low, high = bootstrap.expanded_percentile_interval(2.0, statistics, 4)
    factor = 2.776 / bootstrap.Z_95
    assert (low, high) == pytest.approx((2 * 0.5**factor, 2 * 2**factor))
    assert bootstrap.expanded_percentile_interval(0.0, [0.0] * 10, 4, share=True) == (0.0, 0.0)
    share_low, share_high = bootstrap.expanded_percentile_interval(
        0.5, [0.2] * 30 + [0.5] * 940 + [0.8] * 30, 4, share=True
    )
    assert 0 < share_low < 0.2 and 0.8 < share_high < 1


def test_linearized_interval_hand_computed() -> None:
    # R = 12/8 = 1.5; residuals y - R x: 4 - 3 = 1, 2 - 3 = -1, 6 - 6 = 0; Var = 3/2 · 2 / 64 = 3/64.
    low, high = bootstrap.linearized_ratio_interval([(4, 2), (2, 2), (6, 4)], share=False) or (0, 0)
    step = bootstrap.Z_95 * math.sqrt(3 / 64) / 1.5
    assert (low, high) == pytest.approx((1.5 * math.exp(-step), 1.5 * math.exp(step)))
    share_low, share_high = bootstrap.linearized_ratio_interval([(1, 4), (2, 4), (1, 2)], share=True) or (0, 0)
    assert 0 < share_low < 0.4 < share_high < 1
    assert bootstrap.linearized_ratio_interval([(0, 4), (0, 2)], share=True) is None  # on the edge: no interval
    assert bootstrap.linearized_ratio_interval([(1, 4)], share=False) is None  # one developer


# --------------------------------------------------------------------------------------- calibration


def _active_period(rng: random.Random, mean: float, activity: float) -> tuple[int, int]:
    """(commits, active weeks): each active week has 1 + a geometric number of commits, mean `mean`."""
    weeks = 1 + sum(rng.random() < activity for _ in range(WEEKS - 1))
    extra = mean - 1  # the geometric part's mean
    if extra <= 0:
        return weeks, weeks
    log_fail = math.log(extra / (1 + extra))
    commits = sum(1 + int(math.log(1.0 - rng.random()) / log_fail) for _ in range(weeks))
    return commits, weeks


def simulate(rng: random.Random, multiplier: float, *, both: int = 24, window_only: int = 4) -> list[Developer]:
    """One organisation: developers with their own baseline rate (heavy-tailed) and activity; every rate is
    multiplied by `multiplier` in the window, so the population's multiplier is exactly `multiplier`."""
    developers = []
    for index in range(both + 2 * window_only):
        mean = 1 + rng.lognormvariate(0.5, 0.7)
        activity = rng.uniform(0.2, 0.9)
        in_window, in_baseline = index < both + window_only, index < both or index >= both + window_only
        window = _active_period(rng, mean * multiplier, activity) if in_window else (0, 0)
        baseline = _active_period(rng, mean, activity) if in_baseline else (0, 0)
        developers.append((*window, *baseline))
    return developers


def coverage(truth: float, make: Callable[[random.Random], list[Developer]], seed: int) -> tuple[float, float]:
    """Share of simulated histories whose interval contains `truth`, and the median interval width."""
    rng = random.Random(seed)
    hits, widths = 0, []
    for _ in range(HISTORIES):
        estimate = bootstrap.rate_ratio(make(rng), samples=SAMPLES, rng=rng)
        hits += estimate.contains(truth)
        widths.append(estimate.high - estimate.low)
    return hits / HISTORIES, sorted(widths)[HISTORIES // 2]


@pytest.mark.parametrize(
    ("truth", "both", "window_only"),
    [(2.5, 24, 4), (1.0, 24, 4), (2.5, 0, 16), (1.0, 8, 0)],
    ids=["multiplier-2.5", "no-effect", "disjoint-people", "small-paired-team"],
)
def test_interval_contains_the_truth_in_90_to_99_percent(truth: float, both: int, window_only: int) -> None:
    started = time.perf_counter()
    share, width = coverage(truth, lambda rng: simulate(rng, truth, both=both, window_only=window_only), seed=11)
    seconds = time.perf_counter() - started
    print(f"truth {truth}: coverage {share:.1%}, median width {width:.2f}, {HISTORIES} histories in {seconds:.2f} s")
    assert 0.90 <= share <= 0.99


def _changes(developers: list[tuple[int, int]], start: datetime.date) -> list[Change]:
    """Counted commits matching per-developer (commits, weeks) counts, spread over consecutive weeks."""
    changes = []
    for index, (commits, weeks) in enumerate(developers):
        for commit in range(commits):
            day = start + datetime.timedelta(weeks=commit % weeks)
            changes.append(Change("repo", f"{index}-{commit}", f"dev{index}", None, "human", day, 1, None, None))
    return changes


def test_tiny_samples_say_insufficient_data() -> None:
    settings = Settings(12, "2024-01-01", "2024-03-31", 5, 5, SAMPLES, 0, ())
    rng = random.Random(4)
    small = simulate(rng, 3.0, both=3, window_only=0)
    window = Group(_changes([(cw, ww) for cw, ww, _, _ in small], datetime.date(2024, 6, 3)))
    baseline = Group(_changes([(cb, wb) for _, _, cb, wb in small], datetime.date(2024, 1, 1)))
    figure = multiplier_figure(window, baseline, settings, rng)
    assert figure.value is None and figure.low is None and figure.high is None
    assert (
        figure.reason
        == "insufficient data: 3 developers active in the window, fewer than throughput.min_developers = 5"
    )
    assert figure.n == 3 and figure.detail["n_baseline"] == 3
    enough = simulate(rng, 3.0, both=6, window_only=0)
    window = Group(_changes([(cw, ww) for cw, ww, _, _ in enough], datetime.date(2024, 6, 3)))
    baseline = Group(_changes([(cb, wb) for _, _, cb, wb in enough], datetime.date(2024, 1, 1)))
    figure = multiplier_figure(window, baseline, settings, rng)
    assert figure.value is not None and figure.low is not None and figure.high is not None
    assert figure.low <= figure.value <= figure.high
