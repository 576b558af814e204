"""Measure Python files as the code stage does, one process, and write what radon's CLI would report.

`python -m tests.benchmarks.measure_tree LIST OUT`: LIST holds one path a line; OUT receives JSON, per path:
the functions (start line, cyclomatic complexity), radon's raw counts as devmetrics keeps them (loc, sloc,
blank, comment lines), the maintainability index and the Halstead volume. Used by the radon benchmark.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from devmetrics.analyzers.code.measure import measure_blob


def main(argv: list[str]) -> int:
    listing, out = Path(argv[0]), Path(argv[1])
    results: dict[str, object] = {}
    for line in listing.read_text().splitlines():
        path = Path(line)
        measured = measure_blob(path.read_bytes(), path.name)
        if measured is None:
            continue
        results[line] = {
            "engine": measured.engine,
            "status": measured.status,
            "functions": sorted([f.start_line, f.cyclomatic] for f in measured.functions),
            "lines": [measured.lines_total, measured.lines_code, measured.lines_blank, measured.lines_comment],
            "mi": measured.maintainability,
            "volume": measured.halstead_volume,
        }
    out.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
