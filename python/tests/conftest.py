"""conftest.py — the ysgraph package under test: the installed one, or python/src when run from
the source tree (CTest sets YSGRAPH_LIBRARY to the build's library and YSGRAPH_CLI to its CLI)."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)

import ysgraph  # noqa: E402


@pytest.fixture
def cli():
    """Run the ysgraph CLI (YSGRAPH_CLI, else `ysgraph` on PATH)."""
    exe = os.environ.get("YSGRAPH_CLI", "ysgraph")

    def run(*args, cwd=None):
        r = subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd)
        assert r.returncode == 0, f"ysgraph {' '.join(args)} failed:\n{r.stderr}"
        return r

    return run


@pytest.fixture
def dots_source():
    return ("canvas { width = 64, height = 32 }\n"
            "local pts = points_in { name = 'tracks', capacity = 16 }\n"
            "local dots = dot { points = pts, radius = 4, color = '#ffd60a' }\n"
            "merge { name = 'out', layers = { dots } }\n")


@pytest.fixture
def image_source():
    return ("canvas { width = 48, height = 32 }\n"
            "local img = image_in { name = 'frames' }\n"
            "merge { name = 'out', layers = { img } }\n")


def pytest_report_header(config):
    return f"ysgraph {ysgraph.version()} from {ysgraph.library_path()} ({' '.join(ysgraph.features())})"
