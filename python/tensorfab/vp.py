"""The virtual prototype from Python: programs assembled, compiled and run
bit-exactly on a chip's prototype (docs/isa.md), and what number formats do
to a small Llama model's logits (docs/numerics.md).

```python
from tensorfab import vp
gemm = vp.compile_gemm(128, 128, 256)                 # C = A . B^T on seed-2nm
run = vp.run(gemm, loads={gemm.layout["a"]: a, gemm.layout["b"]: b},
             dumps={gemm.layout["c"]: 128 * 128 * 2})
run.dumps[0]                                          # C's bytes
```
"""

import os

from . import _native
from .results import Document, Record


def _catalog(catalog):
    if catalog is None:
        from . import _shipped

        catalog = _shipped()
    return catalog._native


class Program:
    """A program for the prototype. `text` is its canonical assembly (what
    `tensorfab vp disasm` prints), `image` its binary image (what `tensorfab
    vp asm` writes), `instructions` and `cores` its size."""

    def __init__(self, native: dict):
        self.text = native["text"]
        self.image = native["image"]
        self.instructions = native["instructions"]
        self.cores = native["cores"]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.instructions} instructions on {self.cores} cores)"

    def save(self, path) -> None:
        """Writes the image (a `.bin` path) or the assembly (any other)."""
        path = os.fspath(path)
        if path.endswith(".bin"):
            with open(path, "wb") as f:
                f.write(self.image)
        else:
            with open(path, "w") as f:
                f.write(self.text)


class Gemm(Program):
    """A compiled C = A . B^T: `layout` gives the HBM address of `a`, `b`
    and `c` (and of the scales and split-K parts where there are any),
    `plan` the tiling the timed search chose."""

    def __init__(self, native: dict):
        super().__init__(native)
        self.layout = native["layout"]
        self.plan = native["plan"]


class Run(Record):
    """A program's run: `cycles`, `time`, `instructions`, `macs`,
    `hbm_read` and `hbm_written` bytes, each core's busy cycles per lane
    (DMA queues 0-3, tensor, vector), `notes`, `dumps` (the bytes asked
    for, in order) and, when asked for, the Perfetto `trace`."""

    __slots__ = ()


def _source(program):
    """A program's content and the name errors give it."""
    if isinstance(program, Program):
        return program.image, "<program>"
    if isinstance(program, os.PathLike):
        path = os.fspath(program)
        with open(path, "rb") as f:
            return f.read(), path
    if isinstance(program, (bytes, bytearray)):
        return bytes(program), "<image>"
    return str(program), "<assembly>"


def assemble(program, *, chip=None, catalog=None) -> Program:
    """A program from assembly text (a str), an image (bytes) or a file (a
    path object), checked against `chip`'s prototype when one is named.
    Errors raise InputError at their line."""
    content, name = _source(program)
    return Program(_native.vp_assemble(_catalog(catalog), content, name, chip or ""))


def compile_gemm(m: int, n: int, k: int, *, chip="seed-2nm", operands="bf16", output="bf16", accumulator="fp32",
                 tile_m: int = 0, tile_n: int = 0, stages: int = 0, split_k: int = 0, catalog=None) -> Gemm:
    """C (m x n) = A (m x k) . B (n x k)^T, tiled over the chip's cores, as
    `tensorfab vp compile gemm`: A, B and C one after another in HBM from
    address 0. `tile_m`, `tile_n`, `stages` and `split_k` fix the tiling;
    0 leaves it to the timed search."""
    return Gemm(_native.vp_compile_gemm(_catalog(catalog), os.fspath(chip), m, n, k, operands, output, accumulator,
                                        tile_m, tile_n, stages, split_k))


def run(program, *, chip="seed-2nm", loads=None, dumps=None, timing_only: bool = False, trace: bool = False,
        max_instructions: int = 1_000_000_000, catalog=None) -> Run:
    """Runs a program (a Program, assembly text, an image or a path) on a
    chip's prototype, as `tensorfab vp run`.

    `loads`: `{address: bytes}` put in HBM first (anything with the buffer
    protocol: bytes, a numpy array). `dumps`: `{address: length}` read back
    after, into `Run.dumps`. `timing_only` keeps time without values."""
    content, name = _source(program)
    load_list = [(int(a), memoryview(b).tobytes()) for a, b in (loads or {}).items()]
    dump_list = [(int(a), int(n)) for a, n in (dumps.items() if isinstance(dumps, dict) else dumps or [])]
    return Run(_native.vp_run(_catalog(catalog), os.fspath(chip), content, name, load_list, dump_list,
                              not timing_only, trace, int(max_instructions)))


def numerics(*, chip="seed-2nm", formats=None, prompt: int = 8, generate: int = 8, seed: int = 1,
             catalog=None) -> Document:
    """A small Llama-style model decoded on the prototype in each pair of
    number formats ("mxfp4/bf16": weights/activations), its logits against
    an FP64 reference, as `tensorfab numerics --format json`."""
    return Document(_native.numerics(_catalog(catalog), os.fspath(chip), list(formats or []), prompt, generate, seed))
