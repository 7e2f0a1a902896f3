"""Results as plain Python objects.

A result is a read-only mapping of its JSON document (the one the CLI prints
with `--format json`) whose keys are also attributes; every quantity in it
is a `Quantity` with its unit. `to_dict()` gives the document
itself, equal to the CLI's JSON for the same inputs.
"""

import copy
import difflib
import json
from collections.abc import Mapping
from typing import NamedTuple

from . import _native


class Quantity(NamedTuple):
    """A number with its unit, in SI base units as the JSON writes them
    (`s`, `B`, `B/s`, `W`, `FLOP/s`, `mm^2`, `USD`)."""

    value: float
    unit: str

    def to(self, unit: str) -> float:
        """The value as a number of `unit`: `ttft.to("ms")`,
        `bandwidth.to("TB/s")`. Units of another dimension raise InputError."""
        return _native.convert_unit(self.value, self.unit, unit)

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        return f"{self.value:.4g} {self.unit}"


def _is_quantity(value) -> bool:
    return isinstance(value, dict) and len(value) == 2 and "value" in value and "unit" in value


def _view(value):
    """A document's value as results show it."""
    if _is_quantity(value):
        return Quantity(value["value"], value["unit"])
    if isinstance(value, dict):
        return Record(value)
    if isinstance(value, list):
        return [_view(item) for item in value]
    return value


class Record(Mapping):
    """A read-only view of a JSON object: `r["key"]` or `r.key`;
    quantities come back as `Quantity`, objects as Records."""

    __slots__ = ("_data",)

    def __init__(self, data: dict):
        self._data = data

    def _document(self) -> dict:
        return self._data

    def __getitem__(self, key):
        return _view(self._document()[key])

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        document = self._document()
        if name in document:
            return _view(document[name])
        near = difflib.get_close_matches(name, list(document), n=1)
        hint = f"; did you mean '{near[0]}'?" if near else f"; it has {', '.join(document)}"
        raise AttributeError(f"no '{name}' here{hint}")

    def __iter__(self):
        return iter(self._document())

    def __len__(self) -> int:
        return len(self._document())

    def __dir__(self):
        return list(super().__dir__()) + [k for k in self._document() if k.isidentifier()]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self._document())})"

    def to_dict(self) -> dict:
        """The document as plain dicts, lists, numbers and text (a copy)."""
        return copy.deepcopy(self._document())

    def to_json(self, indent: int = 2) -> str:
        """The document as JSON text; with indent 2, the CLI's bytes."""
        return json.dumps(self._document(), indent=indent, ensure_ascii=False) + "\n"


class Result(Record):
    """A result of the library, converted to a document only when first
    read: evaluating stays at the library's speed."""

    __slots__ = ("_native", "_cache")

    def __init__(self, native):
        super().__init__(None)
        self._native = native
        self._cache = None

    def _document(self) -> dict:
        if self._cache is None:
            self._cache = self._native.to_dict()
        return self._cache

    def to_dict(self) -> dict:
        """The document as plain dicts, lists, numbers and text (made anew
        from the library's result: faster than a copy)."""
        return self._native.to_dict()


# ---- pandas -----------------------------------------------------------------------


def _flatten(document: dict, prefix: str = "", out=None) -> dict:
    """One row: nested keys joined with '.', a quantity as "key [unit]"."""
    out = {} if out is None else out
    for key, value in document.items():
        name = prefix + key
        if _is_quantity(value):
            out[f"{name} [{value['unit']}]"] = value["value"]
        elif isinstance(value, dict):
            _flatten(value, name + ".", out)
        elif not isinstance(value, list):
            out[name] = value
    return out


def _frame(rows):
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError("to_pandas() needs pandas (Debian: apt-get install python3-pandas)") from e
    return pandas.DataFrame([_flatten(row) for row in rows])


# ---- The results of each call -------------------------------------------------------


class Evaluation(Result):
    """One chip serving one model under one scenario (`tensorfab eval`).

    Its document has `chip`, `model`, `result` (latency, throughput,
    memory), `cost` (power, energy, TCO) and, when asked for,
    `throughput_vs_batch`.
    """

    __slots__ = ()

    def to_dict(self, ops: bool = False) -> dict:
        """The CLI's JSON (with `ops`, as `tensorfab eval --ops`)."""
        return self._native.to_dict(ops)

    def to_json(self, indent: int = 2, ops: bool = False) -> str:
        """The CLI's JSON text; with indent 2, its bytes."""
        if indent == 2:
            return self._native.to_json(ops)
        return json.dumps(self.to_dict(ops), indent=indent, ensure_ascii=False) + "\n"

    def to_pandas(self):
        """One row: the chip, then every figure of the result and its cost."""
        d = self._document()
        return _frame([{"chip": d["chip"]["id"], **d["result"], "cost": d["cost"]}])

    def html(self) -> str:
        """The HTML report (one offline file), as `tensorfab eval --html`."""
        return self._native.html()

    def trace(self) -> dict:
        """The Perfetto trace, as `tensorfab eval --trace`."""
        return self._native.trace()


class Study(Result):
    """Several chips serving one model (`tensorfab study`): `chips` and
    `results` in the order asked."""

    __slots__ = ()

    def to_json(self, indent: int = 2) -> str:
        """The CLI's JSON text; with indent 2, its bytes."""
        return self._native.to_json() if indent == 2 else super().to_json(indent)

    def to_pandas(self):
        """A row per chip: every figure of its result and its cost."""
        return _frame(self._document()["results"])

    def html(self) -> str:
        """The HTML report, as `tensorfab study --html`."""
        return self._native.html()

    def trace(self) -> dict:
        """The Perfetto trace, as `tensorfab study --trace`."""
        return self._native.trace()


class Training(Result):
    """One optimizer step on a cluster (`tensorfab train`): `result`
    (step time, its parts, MFU, memory) and `cost`."""

    __slots__ = ()

    def to_json(self, indent: int = 2) -> str:
        """The CLI's JSON text; with indent 2, its bytes."""
        return self._native.to_json() if indent == 2 else super().to_json(indent)

    def to_pandas(self):
        """One row: the step's figures and their cost."""
        d = self._document()
        return _frame([{"result": d["result"], "cost": d["cost"]}])


class Document(Record):
    """What `tensorfab show`, `validate` and friends print as JSON."""

    __slots__ = ()


class Validation(Document):
    """Predictions against measurements (`tensorfab validate`)."""

    __slots__ = ()

    @property
    def within_bounds(self) -> bool:
        """Whether every file's errors are within its bounds."""
        return all(f["within_bounds"] for f in self._data["files"])

    def to_pandas(self):
        """A row per case, with its file."""
        return _frame([{"file": f["file"], **row} for f in self._data["files"] for row in f["rows"]])


class Sweep(Result):
    """A design-space sweep (`tensorfab sweep`), its files in `folder`.

    `summary` is summary.json (the Pareto front, the top points,
    sensitivity); `points` every point as points.jsonl holds it.
    """

    __slots__ = ("folder", "_points", "_summary")

    def __init__(self, native, folder: str):
        super().__init__(native)
        self.folder = folder
        self._points = None
        self._summary = None

    def _document(self) -> dict:
        if self._cache is None:
            self._cache = {"summary": self._summary_document(), "points": self._all_points()}
        return self._cache

    def to_dict(self) -> dict:
        """`{"summary": ..., "points": [...]}`, as summary.json and
        points.jsonl hold them."""
        return {"summary": self._native.summary(), "points": self._native.points()}

    def _summary_document(self) -> dict:
        if self._summary is None:
            self._summary = self._native.summary()
        return self._summary

    def _all_points(self) -> list:
        if self._points is None:
            self._points = self._native.points()
        return self._points

    @property
    def summary(self) -> Record:
        """summary.json: points, feasible, why the others are out, the
        Pareto front, the top points and each axis's sensitivity. Read
        without converting every point."""
        return Record(self._summary_document())

    @property
    def evaluated(self) -> int:
        """Points this run evaluated (fewer than all after a resume)."""
        return self._native.evaluated

    @property
    def seconds(self) -> float:
        """How long this run took to evaluate them."""
        return self._native.seconds

    def to_pandas(self):
        """A row per point: its axes, whether it is feasible, its metrics and
        why not."""
        rows = []
        for p in self._all_points():
            row = {"index": p["index"], **{f"axes.{k}": v for k, v in p["axes"].items()}, "feasible": p["feasible"]}
            row.update({f"metrics.{k}": v for k, v in p["metrics"].items()})
            row["infeasible"] = "; ".join(f"{r['reason']}: {r['detail']}" for r in p["infeasible"])
            rows.append(row)
        return _frame(rows)
