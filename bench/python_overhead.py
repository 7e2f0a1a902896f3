#!/usr/bin/env python3
"""What calling tensorfab from Python costs over calling it from C++.

Times tensorfab.evaluate on one design point (the seed design serving
Llama 3.1 70B) against the same api::eval call in C++ (tfab_bench's
BM_EvalDesignPoint), in one run on one machine, and prints the overhead:

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_overhead.py build/release/bin/tfab_bench

Also times two threads evaluating at once against one, as the GIL is
released during evaluation.
"""

import concurrent.futures
import json
import statistics
import subprocess
import sys
import time

import tensorfab

REPEATS = 5


def cxx_times(bench: str) -> dict:
    """Median microseconds per call of each BM_EvalDesignPoint variant."""
    out = subprocess.run([bench, "--benchmark_filter=BM_EvalDesignPoint", "--benchmark_format=json",
                          f"--benchmark_repetitions={REPEATS}", "--benchmark_report_aggregates_only=true"],
                         capture_output=True, text=True, check=True).stdout
    times = {}
    for b in json.loads(out)["benchmarks"]:
        if b["aggregate_name"] == "median":
            times[b["run_name"].split("/")[1]] = b["real_time"]  # in microseconds (the benchmark's unit)
    return times


def py_time(call, seconds: float = 1.0) -> float:
    """Median microseconds per call over REPEATS runs of about `seconds`."""
    call()
    n = max(1, int(seconds / max(1e-6, _once(call))))
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(n):
            call()
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def _once(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    bench = sys.argv[1] if len(sys.argv) > 1 else "build/release/bin/tfab_bench"
    cxx = cxx_times(bench)
    files, remembered = tensorfab.Catalog(), tensorfab.Catalog(remember=True)
    point = ("seed-2nm", "llama-3.1-70b")
    python = {
        "files": py_time(lambda: files.evaluate(*point)),
        "remembered": py_time(lambda: remembered.evaluate(*point)),
        "remembered_json": py_time(lambda: remembered.evaluate(*point).to_dict()),
    }
    print(f"{'design point':34s} {'C++ (us)':>10s} {'Python (us)':>12s} {'overhead':>9s}")
    labels = {"files": "evaluate, files read each call", "remembered": "evaluate, files remembered",
              "remembered_json": "evaluate + to_dict / to_json"}
    for key, label in labels.items():
        print(f"{label:34s} {cxx[key]:10.1f} {python[key]:12.1f} {100 * (python[key] / cxx[key] - 1):8.1f}%")

    # Threads: 64 evaluations on one thread, then on two.
    calls = [point] * 64

    def run_all(workers: int) -> float:
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda p: remembered.evaluate(*p), calls))
        return time.perf_counter() - start

    one = statistics.median(run_all(1) for _ in range(REPEATS))
    two = statistics.median(run_all(2) for _ in range(REPEATS))
    print(f"64 evaluations: 1 thread {one * 1e3:.1f} ms, 2 threads {two * 1e3:.1f} ms ({one / two:.2f}x)")


if __name__ == "__main__":
    main()
