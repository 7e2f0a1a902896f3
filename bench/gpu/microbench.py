#!/usr/bin/env python3
"""Microbenchmarks of one NVIDIA GPU, for calibrating tensorfab's chip files.

Measures what the tile tier takes as inputs, never an end-to-end result:
HBM bandwidth, the per-kernel cost inside a CUDA graph, GEMM time over the
shapes of Llama 2 70B's projections (BF16 and FP8, cuBLASLt through
PyTorch), decode attention as the GQA group against the KV cache (the
FlashAttention backend of PyTorch's SDPA), elementwise kernels, and board
power under a sustained GEMM and a sustained copy (nvidia-smi).

Each kernel is captured in a CUDA graph of many calls, rotating over enough
input sets to miss the L2 cache, and timed with CUDA events; the figure is
the median over replays. Inputs are random, never zeros.

Usage: python3 bench/gpu/microbench.py OUT.json [--quick] [--only=step,step]
Needs PyTorch with CUDA; runs in about five minutes on an H100.
"""

import json
import math
import subprocess
import sys
import threading
import time

import torch
import torch.nn.functional as F

L2_BYTES = 50 * 2**20
MiB = 2**20


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def sets_to_miss_l2(bytes_per_call, limit=64):
    """How many input sets keep a rotation from fitting in L2 (4x its size)."""
    return max(1, min(limit, math.ceil(4 * L2_BYTES / max(1, bytes_per_call))))


def time_calls(make_call, n_sets, target_s=2e-3, replays=7):
    """Median seconds per call of make_call(i) over a graph of calls that
    rotates through n_sets input sets."""
    calls = [make_call(i) for i in range(n_sets)]
    for c in calls:  # warm up: cuBLAS heuristics, workspaces, autotuning
        c()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(3):
        for c in calls:
            c()
    torch.cuda.synchronize()
    per_call = (time.perf_counter() - t0) / (3 * n_sets)
    reps = max(n_sets, min(4096, int(target_s / max(per_call, 1e-6))))
    reps = math.ceil(reps / n_sets) * n_sets
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for c in calls:
            c()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for r in range(reps):
            calls[r % n_sets]()
    graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(replays):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e-3 / reps)
    del graph
    return median(times)


def rand(shape, dtype, scale=1.0):
    return (torch.randn(shape, device="cuda", dtype=torch.float32) * scale).to(dtype)


def bandwidth(results, quick):
    """Device-to-device copy (read + write) and a read-only reduction."""
    n = (256 if quick else 1024) * MiB // 2
    a = rand((n,), torch.bfloat16)
    b = torch.empty_like(a)
    copy_s = time_calls(lambda i: (lambda: b.copy_(a)), 1, target_s=20e-3)
    read_s = time_calls(lambda i: (lambda: torch.sum(a, dtype=torch.float32)), 1, target_s=20e-3)
    results["hbm"] = {
        "bytes": 2 * n,
        "copy_s": copy_s,
        "copy_bytes_per_s": 2 * (2 * n) / copy_s,
        "read_s": read_s,
        "read_bytes_per_s": (2 * n) / read_s,
    }
    print(f"copy {2 * 2 * n / copy_s / 1e12:.3f} TB/s, read {2 * n / read_s / 1e12:.3f} TB/s", flush=True)


def kernel_overhead(results):
    """Per-kernel time of a graph of tiny kernels: the floor any op pays."""
    x = rand((1024,), torch.float32)
    tiny = time_calls(lambda i: (lambda: x.add_(1.0)), 1)
    a = rand((64, 64), torch.bfloat16)
    w = rand((64, 64), torch.bfloat16)
    small_gemm = time_calls(lambda i: (lambda: torch.mm(a, w)), 1)
    results["kernel"] = {"tiny_elementwise_s": tiny, "gemm_64x64x64_bf16_s": small_gemm}
    print(f"tiny kernel {tiny * 1e6:.2f} us, 64^3 gemm {small_gemm * 1e6:.2f} us", flush=True)


FP8 = torch.float8_e4m3fn


def gemm_case(m, n, k, fmt):
    """(seconds, flops) of C[m,n] = A[m,k] . B[k,n] in fmt, output bf16."""
    elt = 1 if fmt == "fp8" else 2
    per_call = elt * (m * k + k * n) + 2 * m * n
    n_sets = sets_to_miss_l2(per_call)
    sets = []
    for _ in range(n_sets):
        if fmt == "fp8":
            a = rand((m, k), torch.float32, 0.5).to(FP8)
            b = rand((n, k), torch.float32, 0.5).to(FP8).t()  # column-major, as cuBLASLt needs
        else:
            a = rand((m, k), torch.bfloat16)
            b = rand((n, k), torch.bfloat16).t()
        sets.append((a, b))
    one = torch.ones((), device="cuda", dtype=torch.float32)

    def make(i):
        a, b = sets[i]
        if fmt == "fp8":
            return lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
        return lambda: torch.mm(a, b)

    s = time_calls(make, n_sets)
    return s, 2.0 * m * n * k


def gemms(results, quick):
    # Llama 2 70B: hidden 8192, MLP 28672, 64 query and 8 KV heads of 128.
    def projections(tp):
        return {
            "qkv_proj": ((64 + 2 * 8) * 128 // tp, 8192),
            "o_proj": (8192, 64 * 128 // tp),
            "gate_up_proj": (2 * 28672 // tp, 8192),
            "down_proj": (8192, 28672 // tp),
        }

    ms = [1, 16, 64, 128, 256, 512, 1024, 2048, 4096, 8192] if not quick else [16, 1024]
    tps = [1, 2, 8] if not quick else [2]
    rows = []
    for fmt in ["fp8", "bf16"]:
        for cube in ([1024, 2048, 4096, 8192] if not quick else [1024]):
            s, flops = gemm_case(cube, cube, cube, fmt)
            rows.append({"op": "cube", "tp": 0, "m": cube, "n": cube, "k": cube, "format": fmt,
                         "s": s, "flops_per_s": flops / s})
            print(f"{fmt} {cube}^3: {s * 1e6:.1f} us {flops / s / 1e12:.0f} TFLOP/s", flush=True)
        for tp in tps:
            for name, (n, k) in projections(tp).items():
                for m in ms:
                    s, flops = gemm_case(m, n, k, fmt)
                    rows.append({"op": name, "tp": tp, "m": m, "n": n, "k": k, "format": fmt,
                                 "s": s, "flops_per_s": flops / s})
                print(f"{fmt} tp{tp} {name} n={n} k={k}: " +
                      " ".join(f"{r['s'] * 1e6:.1f}" for r in rows[-len(ms):]) + " us", flush=True)
    results["gemm"] = rows


def decode_attention(results, quick):
    """One decode step of GQA attention: per sequence and KV head, the group of
    query heads (8 for Llama 2 70B) against L cached tokens, non-causal."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    rows = []
    group, d = 8, 128
    batches = [16, 64, 256, 896] if not quick else [64]
    lengths = [128, 256, 512, 1024, 2048, 4096] if not quick else [256]
    for kv_heads in ([1, 4, 8] if not quick else [1]):
        for b in batches:
            for length in lengths:
                kv_bytes = 2 * b * kv_heads * length * d * 2
                if kv_bytes > 24 * 2**30:
                    continue
                n_sets = sets_to_miss_l2(kv_bytes, limit=8)
                sets = [(rand((b, kv_heads, group, d), torch.bfloat16),
                         rand((b, kv_heads, length, d), torch.bfloat16),
                         rand((b, kv_heads, length, d), torch.bfloat16)) for _ in range(n_sets)]

                def make(i):
                    q, kk, v = sets[i]

                    def call():
                        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                            return F.scaled_dot_product_attention(q, kk, v)
                    return call

                s = time_calls(make, n_sets)
                rows.append({"batch": b, "kv_heads": kv_heads, "group": group, "head_dim": d,
                             "context": length, "kv_bytes": kv_bytes, "s": s, "bytes_per_s": kv_bytes / s})
                del sets
            print(f"decode attention kv_heads={kv_heads} batch={b}: " +
                  " ".join(f"{r['bytes_per_s'] / 1e12:.2f}" for r in rows[-len(lengths):]) + " TB/s",
                  flush=True)
    results["decode_attention"] = rows


def prefill_attention(results, quick):
    """Causal self-attention over whole prompts, 64 query and 8 KV heads (TP=1)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    rows = []
    for length in ([256, 512, 1024, 2048, 4096] if not quick else [512]):
        b = max(1, 8192 // length)
        q = rand((b, 64, length, 128), torch.bfloat16)
        kk = rand((b, 64, length, 128), torch.bfloat16)  # KV heads expanded: the flash kernel needs equal heads
        v = rand((b, 64, length, 128), torch.bfloat16)

        def make(i):
            def call():
                with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                    return F.scaled_dot_product_attention(q, kk, v, is_causal=True)
            return call

        s = time_calls(make, 1)
        flops = 4.0 * b * 64 * 128 * length * (length + 1) / 2  # QK^T and PV over the causal half
        rows.append({"batch": b, "heads": 64, "head_dim": 128, "length": length, "s": s, "flops_per_s": flops / s})
        print(f"prefill attention L={length} b={b}: {s * 1e6:.0f} us {flops / s / 1e12:.0f} TFLOP/s", flush=True)
    results["prefill_attention"] = rows


def elementwise(results, quick):
    """The vector ops of a decoder layer at batch rows M, hidden 8192, BF16."""
    rows = []
    for m in ([1, 64, 896, 8192] if not quick else [896]):
        x = rand((m, 8192), torch.bfloat16)
        r = rand((m, 8192), torch.bfloat16)
        w = rand((8192,), torch.bfloat16)
        gu = rand((m, 2 * 3584), torch.bfloat16)  # TP=8 gate and up halves
        ops = {
            "rms_norm": (lambda: F.rms_norm(x, (8192,), w, 1e-5), 2 * x.numel() * 2),
            "residual_add": (lambda: torch.add(x, r), 3 * x.numel() * 2),
            "silu_mul": (lambda: F.silu(gu[:, :3584]) * gu[:, 3584:], 3 * m * 3584 * 2),
        }
        for name, (fn, nbytes) in ops.items():
            s = time_calls(lambda i, fn=fn: fn, 1)
            rows.append({"op": name, "m": m, "bytes": nbytes, "s": s, "bytes_per_s": nbytes / s})
        print(f"elementwise m={m}: " + " ".join(f"{q['op']} {q['s'] * 1e6:.1f}us" for q in rows[-3:]), flush=True)
    results["elementwise"] = rows


def sample_power(stop, samples):
    while not stop.is_set():
        out = subprocess.run(["nvidia-smi", "--query-gpu=power.draw,clocks.sm,clocks.mem,temperature.gpu",
                              "--format=csv,noheader,nounits"], capture_output=True, text=True)
        if out.returncode == 0:
            try:
                samples.append([float(v) for v in out.stdout.strip().split(",")])
            except ValueError:
                pass
        time.sleep(0.2)


def under_load(work, seconds):
    """Board power while work() runs back to back for the given seconds;
    the mean of the samples after the first two seconds."""
    samples, stop = [], threading.Event()
    thread = threading.Thread(target=sample_power, args=(stop, samples))
    calls = 0
    thread.start()
    end = time.perf_counter() + seconds
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        for _ in range(20):
            work()
        calls += 20
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    stop.set()
    thread.join()
    steady = samples[len(samples) // 5:] or samples
    mean = [sum(s[i] for s in steady) / len(steady) for i in range(4)] if steady else [float("nan")] * 4
    return {"calls": calls, "seconds": elapsed, "power_w": mean[0], "sm_clock_mhz": mean[1],
            "mem_clock_mhz": mean[2], "temperature_c": mean[3], "samples": len(steady)}


def power(results, quick):
    seconds = 4 if quick else 15
    idle = under_load(lambda: time.sleep(0.01), 3 if quick else 6)
    n = 8192
    a = rand((n, n), torch.float32, 0.5).to(FP8)
    b = rand((n, n), torch.float32, 0.5).to(FP8).t()
    one = torch.ones((), device="cuda", dtype=torch.float32)
    fp8 = under_load(lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16), seconds)
    fp8["flops"] = 2.0 * n**3 * fp8["calls"]
    a16, b16 = rand((n, n), torch.bfloat16), rand((n, n), torch.bfloat16)
    bf16 = under_load(lambda: torch.mm(a16, b16), seconds)
    bf16["flops"] = 2.0 * n**3 * bf16["calls"]
    src = rand((512 * MiB,), torch.bfloat16)
    dst = torch.empty_like(src)
    copy = under_load(lambda: dst.copy_(src), seconds)
    copy["bytes"] = 2.0 * src.numel() * 2 * copy["calls"]
    results["power"] = {"idle": idle, "fp8_gemm_8192": fp8, "bf16_gemm_8192": bf16, "copy_1GiB": copy}
    for name, p in results["power"].items():
        rate = ""
        if "flops" in p:
            rate = f" {p['flops'] / p['seconds'] / 1e12:.0f} TFLOP/s"
        if "bytes" in p:
            rate = f" {p['bytes'] / p['seconds'] / 1e12:.2f} TB/s"
        print(f"power {name}: {p['power_w']:.0f} W, SM {p['sm_clock_mhz']:.0f} MHz, "
              f"{p['temperature_c']:.0f} C{rate}", flush=True)


def decode_layer_load(m=896, context=512):
    """The kernels of one Llama 2 70B decoder layer's decode step at TP=2 (no
    all-reduce): FP8 projections, BF16 attention and vector ops, in a graph."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    one = torch.ones((), device="cuda", dtype=torch.float32)
    h, kv_heads, group = 8192, 4, 8
    x = rand((m, h), torch.bfloat16)
    w_norm = rand((h,), torch.bfloat16)
    weights = {name: rand((n, k), torch.float32, 0.5).to(FP8).t()
               for name, (n, k) in {"qkv": (5120, h), "o": (h, 4096), "gate_up": (28672, h),
                                    "down": (h, 14336)}.items()}
    q = rand((m, kv_heads, group, 128), torch.bfloat16)
    k = rand((m, kv_heads, context, 128), torch.bfloat16)
    v = rand((m, kv_heads, context, 128), torch.bfloat16)

    def proj(a, name):
        return torch._scaled_mm(a.to(FP8), weights[name], scale_a=one, scale_b=one, out_dtype=torch.bfloat16)

    def layer():
        y = F.rms_norm(x, (h,), w_norm, 1e-5)
        proj(y, "qkv")
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            a = F.scaled_dot_product_attention(q, k, v)
        o = proj(a.reshape(m, 4096), "o")
        r = x + o
        y = F.rms_norm(r, (h,), w_norm, 1e-5)
        gu = proj(y, "gate_up")
        act = F.silu(gu[:, :14336]) * gu[:, 14336:]
        return r + proj(act, "down")

    return layer


def graph_of(fn, reps):
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        fn()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(reps):
            fn()
    return graph


def sustained_power(results, quick):
    """Board power, clock and throughput of serving kernels run for many
    seconds: the short timings above run at the boost clock, these at the
    clock the 700 W limit allows."""
    seconds = 4 if quick else 20
    out = {}
    layer = decode_layer_load()
    burst = time_calls(lambda i: layer, 1, target_s=5e-3)
    graph = graph_of(layer, 10)
    p = under_load(graph.replay, seconds)
    p["layers"] = 10 * p["calls"]
    p["burst_layer_s"] = burst
    p["sustained_layer_s"] = p["seconds"] / p["layers"]
    out["decode_layer_tp2_m896_ctx512"] = p
    print(f"decode layer: burst {burst * 1e6:.0f} us, sustained {p['sustained_layer_s'] * 1e6:.0f} us, "
          f"{p['power_w']:.0f} W, SM {p['sm_clock_mhz']:.0f} MHz", flush=True)
    del graph
    one = torch.ones((), device="cuda", dtype=torch.float32)
    for m in [64, 256, 896, 4096]:
        a = rand((m, 8192), torch.float32, 0.5).to(FP8)
        w = rand((28672, 8192), torch.float32, 0.5).to(FP8).t()
        call = lambda: torch._scaled_mm(a, w, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
        burst = time_calls(lambda i: call, 1, target_s=5e-3)
        graph = graph_of(call, 50)
        p = under_load(graph.replay, seconds / 2)
        p["burst_s"] = burst
        p["sustained_s"] = p["seconds"] / (50 * p["calls"])
        p["flops"] = 2.0 * m * 28672 * 8192
        out[f"fp8_gate_up_tp2_m{m}"] = p
        print(f"fp8 gate_up m={m}: burst {burst * 1e6:.1f} us, sustained {p['sustained_s'] * 1e6:.1f} us, "
              f"{p['power_w']:.0f} W, SM {p['sm_clock_mhz']:.0f} MHz", flush=True)
        del graph
    results["sustained_power"] = out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "microbench.json"
    quick = "--quick" in sys.argv
    if not torch.cuda.is_available():
        sys.exit("microbench: no CUDA device")
    torch.manual_seed(0)
    props = torch.cuda.get_device_properties(0)
    smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,power.limit,clocks.max.sm,clocks.max.mem",
                          "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
    results = {"device": props.name, "multiprocessors": props.multi_processor_count,
               "memory_bytes": props.total_memory, "torch": torch.__version__, "cuda": torch.version.cuda,
               "nvidia_smi": smi, "date": time.strftime("%Y-%m-%d"), "command": " ".join(sys.argv)}
    print(results, flush=True)
    steps = [bandwidth, kernel_overhead, gemms, decode_attention, prefill_attention, elementwise, power,
             sustained_power]
    only = [a.split("=", 1)[1].split(",") for a in sys.argv if a.startswith("--only=")]
    if only:
        steps = [s for s in steps if s.__name__ in only[0]]
    for step in steps:
        t0 = time.perf_counter()
        try:
            if step is kernel_overhead:
                step(results)
            else:
                step(results, quick)
        except Exception as e:  # keep what the other steps measured
            results.setdefault("errors", []).append(f"{step.__name__}: {e!r}")
            print(f"{step.__name__} failed: {e!r}", flush=True)
        print(f"-- {step.__name__} took {time.perf_counter() - t0:.1f} s", flush=True)
        torch.cuda.empty_cache()
        with open(out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
