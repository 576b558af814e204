"""The wheel holds one `devmetrics` namespace with every module and the package data (DESIGN §2)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {
    "devmetrics": "devmetrics",
    "collectors": "devmetrics/collectors",
    "analyzers": "devmetrics/analyzers",
    "dashboards": "devmetrics/dashboards",
    "hooks": "devmetrics/hooks",
}


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("devmetrics-*.whl"))


def source_files() -> set[str]:
    expected = set()
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.is_symlink():
                continue
            relative = path.relative_to(ROOT / folder)
            if folder == "devmetrics" and relative.parts[0] in FOLDERS:
                continue  # the committed links into the other four folders
            if (
                path.suffix == ".py"
                or path.name == "py.typed"
                or "templates" in relative.parts
                or "assets" in relative.parts
            ):
                expected.add(f"{package}/{relative.as_posix()}")
    return expected


def test_wheel_contains_every_module_and_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = source_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)}"
    top_levels = {name.split("/", 1)[0] for name in names if not name.startswith("devmetrics-")}
    assert top_levels == {"devmetrics"}, "the wheel may add only `devmetrics` to site-packages"
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "devmetrics = devmetrics.cli:main" in entry_points


def test_installed_wheel_imports_as_one_namespace(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import importlib.util, sys\n"
        f"sys.path.insert(0, {str(target)!r})\n"
        "import devmetrics.collectors.git, devmetrics.analyzers.registry, devmetrics.dashboards, devmetrics.hooks\n"
        "assert devmetrics.collectors.git.__file__.startswith(sys.path[0]), devmetrics.collectors.git.__file__\n"
        "for bare in ('collectors', 'analyzers', 'dashboards', 'hooks'):\n"
        "    assert importlib.util.find_spec(bare) is None, bare\n"
        "print('ok')\n"
    )
    # -I: isolated mode, so neither the checkout nor the current folder is on sys.path.
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_no_bare_top_level_modules_in_the_development_install(tmp_path: Path) -> None:
    probe = "import importlib.util as u; print([n for n in ('collectors', 'hooks') if u.find_spec(n)])"
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_links_inside_devmetrics_point_at_the_real_folders() -> None:
    for folder in ("collectors", "analyzers", "dashboards", "hooks"):
        link = ROOT / "devmetrics" / folder
        assert link.is_symlink() and str(link.readlink()) == f"../{folder}"


def test_wheel_ships_the_hook_scripts_and_templates(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "devmetrics-debt-gate = devmetrics.hooks.debt_gate:main" in entry_points
    assert "devmetrics-ai-trailer = devmetrics.hooks.ai_trailer:main" in entry_points
    from devmetrics.hooks.catalogue import BY_NAME

    assert {f"devmetrics/hooks/templates/{name}" for name in BY_NAME} <= names
