#!/usr/bin/env python3
"""The seed design against three shipped chips, serving Llama 3.1 70B.

Draws throughput per chip against batch, and what a million tokens costs
and how many tokens a joule buys at the default batch, into one PNG:

    python3 examples/compare_chips.py --out compare-chips.png
"""

import argparse

import matplotlib

matplotlib.use("Agg")  # a file, no display
import matplotlib.pyplot as plt  # noqa: E402

import tensorfab  # noqa: E402

CHIPS = ["seed-2nm", "h100-sxm", "b200", "mi355x"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="compare-chips.png", help="the PNG to write")
    parser.add_argument("--model", default="llama-3.1-70b")
    args = parser.parse_args()

    study = tensorfab.study(CHIPS, args.model, sweep=True)
    fig, (curves, cost, energy) = plt.subplots(1, 3, figsize=(15, 4.5))

    for chip in CHIPS:
        points = [p for p in tensorfab.evaluate(chip, args.model, sweep=True).throughput_vs_batch if p.fits]
        curves.plot([p.batch for p in points], [p.output_tokens_per_s_per_chip for p in points], marker=".",
                    label=chip)
    curves.set(xscale="log", xlabel="batch", ylabel="output tokens/s per chip", title="Throughput against batch")
    curves.legend()

    rows = study.results
    names = [r.chip for r in rows]
    usd = [r.cost.get("usd_per_million_output_tokens") for r in rows]
    cost.bar(names, [u if u is not None else 0 for u in usd], color="tab:orange")
    cost.set(ylabel="USD per million output tokens", title="Cost of serving (TCO)")
    per_joule = [r.cost.get("output_tokens_per_joule") or 0 for r in rows]
    energy.bar(names, per_joule, color="tab:green")
    energy.set(ylabel="output tokens per joule", title="Energy")
    scenario = rows[0].scenario
    fig.suptitle(f"{args.model}: {scenario.prompt_length} tokens in, {scenario.output_length} out, "
                 f"batch {scenario.batch} (tensorfab {tensorfab.__version__})")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)

    for r in rows:
        print(f"{r.chip:10s} TTFT {r.time_to_first_token.to('ms'):8.1f} ms  "
              f"TPOT {r.time_per_output_token.to('ms'):6.2f} ms  "
              f"{r.output_tokens_per_s_per_chip:9.0f} tok/s/chip")
    print(f"Figure: {args.out}")


if __name__ == "__main__":
    main()
