"""Reference tables of the README, made from the code so the manual cannot drift from it.

`python -m devmetrics.docs README.md` rewrites the blocks between the `<!-- NAME:start -->` and
`<!-- NAME:end -->` markers; a test fails when the README is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

INDEX = re.compile(r"\[\d+\]")


def config_table() -> str:
    from devmetrics.config import config_reference

    rows = ["| key | default | meaning |", "|---|---|---|"]
    for key, default, doc in config_reference():
        generic = INDEX.sub("", key)  # repos[0].path is documented as repos.path
        rows.append(f"| `{generic}` | `{default}` | {doc} |")
    return "\n".join(rows)


def metrics_table() -> str:
    from devmetrics.analyzers.registry import all_metrics

    rows = ["| metric | unit | better | roll-up | definition |", "|---|---|---|---|---|"]
    for _analyzer, metric in all_metrics():
        rows.append(f"| `{metric.name}` | {metric.unit} | {metric.direction} | {metric.rollup} | {metric.definition} |")
    return "\n".join(rows)


BLOCKS = {"config-reference": config_table, "metrics-reference": metrics_table}


def render(text: str) -> str:
    """`text` with every generated block replaced by its current content."""
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"README has no <!-- {name}:start --> ... <!-- {name}:end --> block")
        text = pattern.sub(lambda match, make=make: match[1] + make() + "\n" + match[2], text)  # type: ignore[misc]
    return text


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    path.write_text(render(path.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
