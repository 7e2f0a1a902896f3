"""The examples run, and the figure they draw is a real PNG."""

import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def run(script, *args):
    p = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *map(str, args)], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_compare_chips_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib")  # Debian's python3-matplotlib; CI installs it
    png = tmp_path / "compare.png"
    out = run("compare_chips.py", "--out", png)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    for chip in ("seed-2nm", "h100-sxm", "b200", "mi355x"):
        assert chip in out


def test_sweep_example_prints_its_front(tmp_path):
    pytest.importorskip("pandas")
    out = run("sweep.py", "--out", tmp_path / "results")
    assert "12 points" in out and "Pareto front:" in out
    assert (tmp_path / "results" / "summary.json").stat().st_size > 0
