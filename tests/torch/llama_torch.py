#!/usr/bin/env python3
"""The prototype's Llama-style model against PyTorch on the CPU.

Runs `tensorfab numerics --export`, rebuilds the same model in PyTorch from
the exported weights and prompt, decodes greedily, and checks that the
prototype's tokens are PyTorch's and its logits within a tolerance per
format. PyTorch computes in float32 and rounds to the run's activation type
where the prototype does (after each kernel, docs/isa.md "A whole model"),
so the two differ only by the order of their sums.

Usage: llama_torch.py TENSORFAB [ARGS...]   (ARGS go to tensorfab, as --data DIR)
"""
import json
import os
import subprocess
import sys
import tempfile

import torch

# Largest |logit difference| allowed per activation type. The two sum in
# different orders, so float32 values differ in their last bits; where one
# of those lies next to a 16-bit rounding boundary the activation rounds one
# step apart (an FP16 step moves a logit by about 1e-3 here, a BF16 step by
# about 1e-2), and a few such steps are expected in a run.
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2, "bf16": 5e-2}
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def rounded(x, dtype):
    return x.to(dtype).to(torch.float32)


def rms_norm(x, gain, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return gain * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Llama:
    def __init__(self, config, weights, weight_type, act_type):
        self.c = config
        self.act = DTYPES[act_type]

        def matrix(values, rows, cols, quantise=True):
            m = torch.tensor(values, dtype=torch.float64).reshape(rows, cols).to(torch.float32)
            return rounded(m, DTYPES[weight_type]) if quantise else m

        def vector(values):
            return torch.tensor(values, dtype=torch.float64).to(torch.float32)

        c = config
        d, D, f = c["hidden"], c["head_dim"], c["intermediate"]
        self.embedding = matrix(weights["embedding"], c["vocab"], d, quantise=False)
        self.layers = []
        for lw in weights["layers"]:
            self.layers.append({
                "attn_norm": vector(lw["attn_norm"]),
                "wq": matrix(lw["wq"], c["heads"] * D, d),
                "wk": matrix(lw["wk"], c["kv_heads"] * D, d),
                "wv": matrix(lw["wv"], c["kv_heads"] * D, d),
                "wo": matrix(lw["wo"], d, c["heads"] * D),
                "mlp_norm": vector(lw["mlp_norm"]),
                "gate": matrix(lw["gate"], f, d),
                "up": matrix(lw["up"], f, d),
                "down": matrix(lw["down"], d, f),
            })
        self.final_norm = vector(weights["final_norm"])
        self.lm_head = matrix(weights["lm_head"], c["vocab"], d)

    def logits(self, tokens):
        """Every position's logits for a causal pass over `tokens`."""
        c, act = self.c, self.act
        T, H, KV, D = len(tokens), c["heads"], c["kv_heads"], c["head_dim"]
        # RoPE tables in float64, rounded to float32, as the prototype's.
        inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
        angles = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        cos, sin = torch.cos(angles).to(torch.float32), torch.sin(angles).to(torch.float32)
        causal = torch.full((T, T), float("-inf")).triu(1)

        x = self.embedding[torch.tensor(tokens)]
        for lw in self.layers:
            xn = rounded(rms_norm(x, lw["attn_norm"], c["norm_eps"]), act)
            q = (xn @ lw["wq"].T).view(T, H, D).transpose(0, 1)
            k = (xn @ lw["wk"].T).view(T, KV, D).transpose(0, 1)
            v = (xn @ lw["wv"].T).view(T, KV, D).transpose(0, 1)
            q = rounded(q * cos + rotate_half(q) * sin, act)
            k = rounded(k * cos + rotate_half(k) * sin, act)
            v = rounded(v, act)
            k = k.repeat_interleave(H // KV, dim=0)
            v = v.repeat_interleave(H // KV, dim=0)
            scores = (q @ k.transpose(1, 2)) * D ** -0.5 + causal
            probs = rounded(torch.softmax(scores, dim=-1), act)
            attended = rounded(probs @ v, act).transpose(0, 1).reshape(T, H * D)
            x = x + attended @ lw["wo"].T
            xn = rounded(rms_norm(x, lw["mlp_norm"], c["norm_eps"]), act)
            h = rounded(torch.nn.functional.silu(xn @ lw["gate"].T) * (xn @ lw["up"].T), act)
            x = x + h @ lw["down"].T
        xn = rounded(rms_norm(x, self.final_norm, c["norm_eps"]), act)
        return xn @ self.lm_head.T

    def decode(self, prompt, generate):
        tokens = list(prompt)
        for _ in range(generate):
            tokens.append(int(torch.argmax(self.logits(tokens)[-1])))
        return tokens, self.logits(tokens[:-1])


def main():
    tensorfab, extra = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "llama.json")
        subprocess.run([tensorfab, "numerics", "--formats", "fp32/fp32", "bf16/bf16", "fp16/fp16",
                        "--prompt", "8", "--generate", "8", "--seed", "3", "--export", path, *extra],
                       check=True, stdout=subprocess.DEVNULL)
        with open(path) as f:
            doc = json.load(f)

    failures = 0
    for run in doc["runs"]:
        model = Llama(doc["config"], doc["weights"], run["weights"], run["activations"])
        tokens, logits = model.decode(doc["prompt"], doc["generate"])
        prototype = torch.tensor(run["logits"], dtype=torch.float32).reshape(logits.shape)
        worst = float((prototype - logits).abs().max())
        bound = TOLERANCE[run["activations"]]
        same_tokens = tokens == run["tokens"]
        ok = same_tokens and worst <= bound
        failures += not ok
        print(f"{run['weights']}/{run['activations']}: tokens {'agree' if same_tokens else 'DIFFER'} "
              f"({run['tokens'][len(doc['prompt']):]} vs PyTorch {tokens[len(doc['prompt']):]}), "
              f"max |logit difference| {worst:.3g} (bound {bound:g}): {'ok' if ok else 'FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
