"""File versions measured for the hooks and the CI gate, with a cache of their own (DESIGN §6).

The gates analyse the blobs they are given and keep what they measured under
`$(git rev-parse --git-common-dir)/devmetrics/blobs/<analyzer>/`, one small JSON file per blob sha, written
atomically (a temporary file renamed into place). Two hooks running at once never wait for each other: the
worst case is that both measure the same blob. A scan database, when one is configured and present, is read
(read-only, never waiting on a lock) for blobs the cache lacks. Nothing here touches the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devmetrics.analyzers.code.records import STATUS_NOT_UTF8, STATUS_OK, DebtMarker, FunctionMetrics

CACHE_FOLDER = "devmetrics"
MEASURED_STATUSES = (STATUS_OK, STATUS_NOT_UTF8)  # functions were read


@dataclass(frozen=True, slots=True)
class Measured:
    """What the gates need of one file version."""

    language: str
    status: str
    reason: str
    lines_code: int
    functions: tuple[FunctionMetrics, ...]
    markers: tuple[DebtMarker, ...]
    maintainability: float | None

    @property
    def judged(self) -> bool:
        """Whether its functions were read (binary, too large or unparsable files are not judged)."""
        return self.status in MEASURED_STATUSES

    def as_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "status": self.status,
            "reason": self.reason,
            "lines_code": self.lines_code,
            "functions": [_function_row(function) for function in self.functions],
            "markers": [[m.line, m.kind, m.text] for m in self.markers],
            "maintainability": self.maintainability,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measured:
        functions = tuple(
            FunctionMetrics(str(name), *(int(value) for value in rest)) for name, *rest in data["functions"]
        )
        markers = tuple(DebtMarker(int(line), str(kind), str(text)) for line, kind, text in data["markers"])
        maintainability = data["maintainability"]
        return cls(
            str(data["language"]),
            str(data["status"]),
            str(data["reason"]),
            int(data["lines_code"]),
            functions,
            markers,
            None if maintainability is None else float(maintainability),
        )


def _function_row(f: FunctionMetrics) -> list[object]:
    return [
        f.qualified_name,
        f.start_line,
        f.end_line,
        f.cyclomatic,
        f.cognitive,
        f.length,
        f.max_nesting,
        f.parameters,
    ]


def analyzer_version() -> str:
    from devmetrics.analyzers.code.measure import ANALYZER_VERSION

    return ANALYZER_VERSION


def measure(content: bytes, path: str) -> Measured | None:
    """The measurement of one file version; None when its language is not one devmetrics measures."""
    from devmetrics.analyzers.code.measure import measure_blob

    found = measure_blob(content, path)
    if found is None:
        return None
    return Measured(
        found.language,
        found.status,
        found.reason,
        found.lines_code,
        found.functions,
        found.markers,
        found.maintainability,
    )


class BlobCache:
    """Measured file versions by (blob sha, language), on disk under the git common dir."""

    def __init__(self, folder: Path | None, version: str, database: Path | None = None) -> None:
        self.version = version
        digest = hashlib.sha256(version.encode()).hexdigest()[:16]
        self.folder = None if folder is None else folder / CACHE_FOLDER / "blobs" / digest
        self.database = database
        self.hits = 0
        self.misses = 0

    def _file(self, sha: str, language: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / sha[:2] / f"{sha}.{language}.json"

    def get(self, sha: str, language: str) -> Measured | None:
        file = self._file(sha, language)
        if file is not None:
            try:
                found = Measured.from_json(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                found = None
            if found is not None:
                self.hits += 1
                return found
        found = self._from_database(sha, language)
        if found is not None:
            self.hits += 1
            self.put(sha, found)
            return found
        self.misses += 1
        return None

    def put(self, sha: str, measured: Measured) -> None:
        """Keep `measured`; a cache that cannot be written (read-only checkout) is simply not kept."""
        file = self._file(sha, measured.language)
        if file is None:
            return
        with contextlib.suppress(OSError):
            file.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(measured.as_json(), out, separators=(",", ":"))
                Path(temporary).replace(file)
            except OSError:
                Path(temporary).unlink(missing_ok=True)
                raise

    def _from_database(self, sha: str, language: str) -> Measured | None:
        """The scan database's measurement of the blob, read without waiting for any lock; None on any trouble."""
        if self.database is None or not self.database.is_file():
            return None
        try:
            conn = sqlite3.connect(f"{self.database.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
        except sqlite3.Error:
            return None
        try:
            row = conn.execute(
                "SELECT status, reason, lines_code, maintainability, markers FROM blob_metrics "
                "WHERE blob = ? AND language = ? AND analyzer_version = ?",
                (sha, language, self.version),
            ).fetchone()
            if row is None:
                return None
            functions = conn.execute(
                "SELECT qualified_name, start_line, end_line, cyclomatic, cognitive, length, max_nesting, parameters "
                "FROM function_metrics WHERE blob = ? AND language = ? AND analyzer_version = ? ORDER BY start_line",
                (sha, language, self.version),
            ).fetchall()
        except sqlite3.Error:
            return None
        finally:
            conn.close()
        status, reason, lines_code, maintainability, markers = row
        return Measured(
            language,
            status,
            reason,
            lines_code,
            tuple(FunctionMetrics(*function) for function in functions),
            tuple(DebtMarker(int(line), str(kind), str(text)) for line, kind, text in json.loads(markers or "[]")),
            maintainability,
        )


PARALLEL_FROM = 6  # blobs to parse from which a pool of processes pays for itself
MAX_WORKERS = 4


def measure_all(
    cache: BlobCache,
    wanted: Iterable[tuple[str, str]],
    read: Callable[[list[str]], Iterable[tuple[str, bytes | None]]],
) -> dict[tuple[str, str], Measured | None]:
    """Measurements of (blob sha, path) pairs; `read(shas)` yields (sha, content) for the blobs to parse.
    Blobs the cache lacks are parsed, in a few forked processes when there are many of them."""
    result: dict[tuple[str, str], Measured | None] = {}
    missing: dict[str, list[str]] = {}
    for sha, path in wanted:
        language = _language_from_name(path)
        found = cache.get(sha, language) if language else None
        if found is not None:
            result[(sha, path)] = found
        else:
            missing.setdefault(sha, []).append(path)
    jobs = [(sha, content, path) for sha, content in read(list(missing)) for path in missing[sha]]
    for (sha, _content, path), measured in zip(jobs, _measure_jobs(jobs), strict=True):
        result[(sha, path)] = measured
        if measured is not None:
            cache.put(sha, measured)
    return result


def _measure_one(job: tuple[str, bytes | None, str]) -> Measured | None:
    _, content, path = job
    return None if content is None else measure(content, path)


def _measure_jobs(jobs: list[tuple[str, bytes | None, str]]) -> list[Measured | None]:
    workers = min(os.cpu_count() or 1, MAX_WORKERS, len(jobs) // 2)
    if len(jobs) < PARALLEL_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_measure_one(job) for job in jobs]
    # fork: the workers start with the engines already imported; nothing else runs in this process meanwhile
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_measure_one, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
    except (OSError, BrokenProcessPool):
        return [_measure_one(job) for job in jobs]


def _language_from_name(path: str) -> str | None:
    """The language a path's extension names (shebang scripts are always measured: no name to go by)."""
    from devmetrics.analyzers.code.detect import detect_language

    return detect_language(path, b"")
