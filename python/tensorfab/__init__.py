"""tensorfab: a workbench for designing AI accelerator chips before silicon.

The same library as the `tensorfab` command, called from Python:

```python
import tensorfab
r = tensorfab.evaluate("seed-2nm", "llama-3.1-70b")
r.result.time_per_output_token.to("ms")   # a Quantity, in any unit
r.to_dict()                               # the CLI's --format json
r.to_pandas()                             # a row of figures
```

Chips, models, scenarios and the rest are named by id (the shipped data,
`tensorfab.list("chips")`), by path, or given as dicts written like their
files. Bad input raises `InputError` naming the file, line and key
path of every problem. Evaluations and sweeps release the GIL, so threads
evaluate on several cores at once.

`tensorfab.vp` assembles, compiles and runs programs on the virtual
prototype.

The module-level functions use the shipped data (`$TENSORFAB_DATA` when
set); a `Catalog` reads another data folder.
"""

import difflib
import functools
import inspect
import os
from collections.abc import Mapping

from . import _native, vp
from .errors import Diagnostic, InputError, RunError, TensorfabError, _input_error
from .results import Document, Evaluation, Quantity, Record, Study, Sweep, Training, Validation

__version__ = _native.version

__all__ = [
    "Catalog", "Diagnostic", "Document", "Evaluation", "InputError", "Quantity", "Record", "RunError", "Study",
    "Sweep", "TensorfabError", "Training", "Validation", "check", "chip", "evaluate", "list", "model", "node",
    "physical", "study", "sweep", "train", "validate", "validate_physical", "vp",
]

KINDS = ("chips", "models", "scenarios", "nodes", "packages", "memories", "systems", "datacenters")


def _text(value) -> str:
    """A Python value as a `--set` value."""
    if isinstance(value, Quantity):
        return f"{value.value!r} {value.unit}"
    if value is None:
        return "~"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _overrides(assignments):
    """`set=` as (assignment, origin) pairs: a dict `{"chip.tdp": "800 W"}`
    or strings `"chip.tdp=800 W"`. The origin names it in errors."""
    if assignments is None:
        return []
    if isinstance(assignments, Mapping):
        return [(f"{key}={_text(value)}", f"set[{key!r}]") for key, value in assignments.items()]
    if isinstance(assignments, str):
        assignments = [assignments]
    return [(a, f"set {a!r}") for a in assignments]


def _singular(kind: str) -> str:
    return kind[:-3] + "y" if kind.endswith("ies") else kind[:-1]


def _add(native, kind: str, value):
    """The native catalog with `value` added when it is a dict, and the name
    to ask for it by: a dict's `id` key (else `custom-<kind>`), an id or
    a path."""
    if value is None:
        return native, None
    if not isinstance(value, Mapping):
        return native, os.fspath(value)
    doc = dict(value)
    doc_id = str(doc.pop("id", f"custom-{_singular(kind)}"))
    if not doc_id or "/" in doc_id:
        raise _input_error(f"expected an id without '/', got {doc_id!r}", f"{_singular(kind)}.id")
    return native.with_document(kind, doc_id, doc, f"<{_singular(kind)} dict '{doc_id}'>"), doc_id


class Catalog:
    """The data tensorfab reads: a folder with chips/, models/, scenarios/,
    nodes/ and the rest. `data` defaults to the shipped data (or
    `$TENSORFAB_DATA`). With `remember=True` every file is parsed once
    and kept, which is faster for many evaluations while the files do not
    change."""

    def __init__(self, data=None, *, remember: bool = False):
        self._native = _native.Catalog(os.fspath(data) if data is not None else "", remember)

    @property
    def root(self) -> str:
        """The data folder."""
        return self._native.root

    def __repr__(self) -> str:
        return f"Catalog({self.root!r})"

    def list(self, kind: str):
        """The ids of one kind: chips, models, scenarios, nodes, packages,
        memories, systems or datacenters."""
        if kind not in KINDS:
            near = difflib.get_close_matches(kind, KINDS, n=1)
            notes = [f"did you mean '{near[0]}'?"] if near else []
            raise _input_error(f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}", "kind", notes)
        return self._native.ids(kind)

    def _given(self, **inputs):
        """The native catalog with every dict input added, and each input's name."""
        native, names = self._native, {}
        for kind, value in inputs.items():
            native, names[kind] = _add(native, kind, value)
        return native, names

    def evaluate(self, chip, model, scenario="serve-default", *, set=None, tier: str = "tile",
                 sweep: bool = False, datacenter="hyperscale") -> Evaluation:
        """One chip serving one model under one scenario, as `tensorfab eval`.

        `chip`, `model` and `scenario`: an id, a path or a dict.
        `set`: overrides by what they change, `{"chip.tdp": "800 W",
        "scenario.batch": 8}`. `tier`: roofline, tile or cycle. `sweep`:
        also throughput against batch. `datacenter`: for power and TCO.
        """
        native, n = self._given(chips=chip, models=model, scenarios=scenario, datacenters=datacenter)
        return Evaluation(_native.evaluate(native, n["chips"], n["models"], n["scenarios"], _overrides(set), tier,
                                           sweep, n["datacenters"]))

    def study(self, chips=("seed-2nm", "h100-sxm"), model="llama-3.1-70b", scenario="serve-default", *, set=None,
              tier: str = "tile", sweep: bool = False, datacenter="hyperscale") -> Study:
        """Several chips serving one model, as `tensorfab study`: the
        default compares the seed design with H100 on Llama 3.1 70B. `chips`
        are ids or paths; `set` applies to every chip."""
        if isinstance(chips, (str, Mapping)):
            chips = [chips]
        native, n = self._given(models=model, scenarios=scenario, datacenters=datacenter)
        names = []
        for c in chips:
            native, name = _add(native, "chips", c)
            names.append(name)
        return Study(_native.study(native, names, n["models"], n["scenarios"], _overrides(set), tier, sweep,
                                   n["datacenters"]))

    def train(self, chip, model, scenario="train-gpt3-175b", system=None, *, set=None, tier: str = "tile",
              tokens: float = 300e9, datacenter="hyperscale") -> Training:
        """One optimizer step on a cluster, as `tensorfab train`, with the
        time and cost of training `tokens`. Without a `system`, the chip's
        scale-up link joins every chip of the layout in one switch."""
        native, n = self._given(chips=chip, models=model, scenarios=scenario, systems=system,
                                datacenters=datacenter)
        return Training(_native.train(native, n["chips"], n["models"], n["scenarios"], n["systems"],
                                      _overrides(set), tier, float(tokens), n["datacenters"]))

    def sweep(self, spec, out=None, *, resume: bool = False, force: bool = False, threads: int = 0,
              chunk: int = 1024) -> Sweep:
        """A design-space sweep, as `tensorfab sweep`: the same files, byte
        for byte, in `out` (default: the file's name with -results).

        `spec`: a sweep file's path, or a dict written like one (then
        `out` is required). `resume` continues a stopped run; `force`
        replaces earlier results. `threads`: 0 for every core."""
        if isinstance(spec, Mapping):
            if out is None:
                raise _input_error("a sweep given as a dict needs out=, the results folder", "out")
            name = f"<sweep dict '{spec.get('name', 'sweep')}'>"
            native = _native.sweep(self._native, name, dict(spec), os.fspath(out), resume, force, threads, chunk)
        else:
            path = os.fspath(spec)
            if out is None:
                out = os.path.splitext(os.path.basename(path))[0] + "-results"
            native = _native.sweep(self._native, path, None, os.fspath(out), resume, force, threads, chunk)
        return Sweep(native, os.fspath(out))

    def chip(self, chip, *, set=None) -> Document:
        """A chip's spec, as `tensorfab show chip --format json`."""
        native, n = self._given(chips=chip)
        return Document(_native.chip(native, n["chips"], _overrides(set)))

    def model(self, model, scenario=None, chip=None, *, set=None) -> Document:
        """A model's sizes and work, and what a scenario needs in memory on a
        chip, as `tensorfab show model`."""
        native, n = self._given(models=model, scenarios=scenario, chips=chip)
        return Document(_native.model(native, n["models"], n["scenarios"], n["chips"], _overrides(set)))

    def physical(self, chip, *, set=None) -> Document:
        """A chip's derived area, power, package fit and cost, as `tensorfab
        show chip --physical`."""
        native, n = self._given(chips=chip)
        return Document(_native.physical(native, n["chips"], _overrides(set)))

    def node(self, node, die_area=None, *, alpha: float = 3, set=None) -> Document:
        """A process node and, with a die area ("800 mm^2"), what a wafer of
        it gives, as `tensorfab show node`."""
        area = _text(die_area) if die_area is not None else None
        return Document(_native.node(self._native, os.fspath(node), area, float(alpha), _overrides(set)))

    def validate(self, files=(), *, tier: str = "tile") -> Validation:
        """Predictions against published measurements, as `tensorfab
        validate` (every shipped file when none is named)."""
        if isinstance(files, (str, os.PathLike)):
            files = [files]
        return Validation(_native.validate(self._native, [os.fspath(f) for f in files], tier))

    def validate_physical(self) -> Document:
        """Derived die area and power against published figures, as
        `tensorfab validate --physical`."""
        return Document(_native.validate_physical(self._native))

    def check(self, *files, kind=None) -> None:
        """Checks input files as `tensorfab check`; raises InputError with
        every problem found."""
        _native.check(self._native, [os.fspath(f) for f in files], kind)


@functools.lru_cache(maxsize=None)
def _shipped() -> Catalog:
    return Catalog()


def _on_shipped(method):
    """`method` of the shipped data's Catalog, as a function."""

    @functools.wraps(method)
    def call(*args, **kwargs):
        return method(_shipped(), *args, **kwargs)

    own = inspect.signature(method)
    call.__signature__ = own.replace(parameters=tuple(own.parameters.values())[1:])
    return call


list = _on_shipped(Catalog.list)  # noqa: A001 - the CLI's word
evaluate = _on_shipped(Catalog.evaluate)
study = _on_shipped(Catalog.study)
train = _on_shipped(Catalog.train)
sweep = _on_shipped(Catalog.sweep)
chip = _on_shipped(Catalog.chip)
model = _on_shipped(Catalog.model)
physical = _on_shipped(Catalog.physical)
node = _on_shipped(Catalog.node)
validate = _on_shipped(Catalog.validate)
validate_physical = _on_shipped(Catalog.validate_physical)
check = _on_shipped(Catalog.check)
