#!/usr/bin/env python3
"""A design-space sweep driven from Python: the seed design's HBM stacks,
tensor units and TDP, with its Pareto front as a pandas table.

    python3 examples/sweep.py --out seed-sweep-results
"""

import argparse

import tensorfab

SWEEP = {
    "name": "seed design: HBM stacks x tensor units x TDP",
    "base": {"chip": "seed-2nm", "model": "llama-3.1-70b", "scenario": "serve-default"},
    "axes": {
        "chip.memory.stacks": [4, 6, 8],
        "chip.tensor.units": [24, 32],
        "chip.tdp": ["700 W", "1000 W"],
    },
    # Peak throughput follows the units, as in data/sweeps/seed-design.yaml.
    "derived": {
        "chip.tensor.dense.bf16": {"value": "chip.tensor.units * 57.344", "unit": "TFLOPS"},
        "chip.tensor.dense.fp8": {"value": "chip.tensor.units * 114.688", "unit": "TFLOPS"},
    },
    "constraints": {"tpot": "<= 30 ms"},
    "objectives": {"tokens_per_s": "max", "usd_per_million_tokens": "min"},
    "top": 3,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="seed-sweep-results", help="the results folder")
    args = parser.parse_args()

    run = tensorfab.sweep(SWEEP, args.out, force=True)
    s = run.summary
    print(f"{s.name}: {s.points} points, {s.feasible} feasible, {run.evaluated} evaluated in {run.seconds:.2f} s")
    frame = run.to_pandas()
    front = frame[frame["index"].isin([p.index for p in s.pareto])]
    columns = [c for c in frame.columns if c.startswith("axes.")] + ["metrics.tokens_per_s",
                                                                      "metrics.usd_per_million_tokens"]
    print("Pareto front:")
    print(front[columns].to_string(index=False))
    print(f"Results: {run.folder}/ (points.csv, points.jsonl, pareto.csv, summary.json)")


if __name__ == "__main__":
    main()
