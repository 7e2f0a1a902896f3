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
import subprocess
import sys
import time

import tensorfab

ROUNDS = 7  # C++ and Python take turns, so that a busy moment hits both alike


def cxx_times(bench: str) -> dict:
    """Microseconds per call of each BM_EvalDesignPoint variant, one run."""
    out = subprocess.run([bench, "--benchmark_filter=BM_EvalDesignPoint", "--benchmark_format=json",
                          "--benchmark_min_time=0.3"], capture_output=True, text=True, check=True).stdout
    return {b["name"].split("/")[1]: b["real_time"] for b in json.loads(out)["benchmarks"]}  # microseconds


def py_time(call, seconds: float = 0.3) -> float:
    """Microseconds per call, over a loop of about `seconds`."""
    start = time.perf_counter()
    call()
    n = max(1, int(seconds / max(1e-6, time.perf_counter() - start)))
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    bench = sys.argv[1] if len(sys.argv) > 1 else "build/release/bin/tfab_bench"
    files, remembered = tensorfab.Catalog(), tensorfab.Catalog(remember=True)
    point = ("seed-2nm", "llama-3.1-70b")
    calls = {
        "files": lambda: files.evaluate(*point),
        "remembered": lambda: remembered.evaluate(*point),
        "remembered_json": lambda: remembered.evaluate(*point).to_dict(),
    }
    # The fastest of the rounds: noise only ever adds time.
    cxx, python = {}, {}
    for _ in range(ROUNDS):
        for key, t in cxx_times(bench).items():
            cxx[key] = min(t, cxx.get(key, t))
        for key, call in calls.items():
            t = py_time(call)
            python[key] = min(t, python.get(key, t))
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

    one = min(run_all(1) for _ in range(ROUNDS))
    two = min(run_all(2) for _ in range(ROUNDS))
    print(f"64 evaluations: 1 thread {one * 1e3:.1f} ms, 2 threads {two * 1e3:.1f} ms ({one / two:.2f}x)")


if __name__ == "__main__":
    main()
