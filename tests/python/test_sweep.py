"""A sweep from Python writes the same bytes as `tensorfab sweep`."""

import json

import pytest

import tensorfab

FILES = ["points.csv", "points.jsonl", "checkpoint.json", "spec.json", "pareto.csv", "summary.json"]


def test_sweep_file_same_bytes_as_cli(tmp_path, cli, data):
    spec = data + "/sweeps/seed-design.yaml"
    code, _, err = cli("sweep", spec, "--out", tmp_path / "cli", "--progress", "none")
    assert code == 0, err
    r = tensorfab.sweep(spec, tmp_path / "py", threads=2, chunk=50)
    for name in FILES:
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    summary = json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert r.summary.to_dict() == summary
    assert r.summary.points == 192 and r.evaluated == 192
    assert len(r.points) == 192 and r.points[0].index == 0
    assert [p.index for p in r.summary.pareto] == [p["index"] for p in summary["pareto"]]
    pandas = pytest.importorskip("pandas")
    frame = r.to_pandas()
    assert isinstance(frame, pandas.DataFrame) and len(frame) == 192
    assert frame["feasible"].sum() == summary["feasible"]


SMALL = {
    "name": "small",
    "base": {"chip": "seed-2nm", "model": "llama-3.1-8b", "scenario": "serve-default"},
    "axes": {"chip.memory.stacks": [4, 6, 8], "chip.tdp": ["600 W", "900 W"]},
    "constraints": {"tpot": "<= 30 ms"},
    "objectives": {"tokens_per_s": "max", "chip_cost": "min"},
    "top": 3,
}


def test_sweep_dict_same_points_as_cli(tmp_path, cli):
    spec = tmp_path / "small.json"
    spec.write_text(json.dumps(SMALL))
    code, _, err = cli("sweep", spec, "--out", tmp_path / "cli", "--progress", "none")
    assert code == 0, err
    r = tensorfab.sweep(SMALL, tmp_path / "py")
    for name in ["points.csv", "points.jsonl", "pareto.csv", "summary.json"]:
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    assert r.summary.points == 6


def test_sweep_errors_and_resume(tmp_path):
    with pytest.raises(tensorfab.InputError) as raised:
        tensorfab.sweep({**SMALL, "axes": {"chip.memory.stakcs": [4, 6]}}, tmp_path / "bad")
    assert raised.value.file == "<sweep dict 'small'>"
    tensorfab.sweep(SMALL, tmp_path / "out")
    with pytest.raises(tensorfab.InputError, match="force"):
        tensorfab.sweep(SMALL, tmp_path / "out")
    resumed = tensorfab.sweep(SMALL, tmp_path / "out", resume=True)
    assert resumed.evaluated == 0 and resumed.summary.points == 6


def test_sweep_releases_the_gil(tmp_path):
    # While one thread sweeps, another keeps running Python: many of its
    # steps fall inside the sweep call. Holding the GIL would let none in
    # (bar one at a switch interval, 5 ms, at the call's edges).
    import threading
    import time

    big = {**SMALL, "axes": {"chip.memory.stacks": [4, 5, 6, 8], "chip.tensor.units": list(range(8, 72)),
                             "chip.tdp": ["600 W", "700 W", "800 W", "900 W", "1000 W"]}}
    window = []

    def sweep():
        start = time.perf_counter()
        tensorfab.sweep(big, tmp_path / "big", threads=1)
        window.extend([start, time.perf_counter()])

    thread = threading.Thread(target=sweep)
    steps = []
    thread.start()
    while thread.is_alive():
        steps.append(time.perf_counter())
        time.sleep(0.001)
    thread.join()
    inside = [t for t in steps if window[0] < t < window[1]]
    assert window[1] - window[0] > 0.05, "the sweep is too short to tell"
    assert len(inside) >= 10
