"""What tensorfab raises when it cannot answer.

Every problem found is reported at once, as the CLI does: an exception
carries a list of `Diagnostic`, and its text is the CLI's lines.
"""

from typing import List, NamedTuple


class Diagnostic(NamedTuple):
    """One problem: where it is, which key, what is wrong, and hints.

    `file` is the input's file (or `<chip dict 'id'>` for a dict, or the
    `set` entry an override came from), `line` and `column` are 1-based
    (0 when the problem is not at one place in a file), `key_path` is the
    dotted key (`memory.stacks`). `text` is the line the CLI prints.
    """

    kind: str  # "input" (the caller's input is wrong) or "run" (it cannot be evaluated)
    file: str
    line: int
    column: int
    key_path: str
    message: str
    notes: List[str]
    text: str


class TensorfabError(Exception):
    """Base of tensorfab's errors. `diagnostics` lists every problem;
    `file`, `line`, `column`, `key_path` and `message` are the
    first one's."""

    def __init__(self, diagnostics):
        self.diagnostics = [d if isinstance(d, Diagnostic) else Diagnostic(**d) for d in diagnostics]
        super().__init__("\n".join(d.text for d in self.diagnostics))

    @property
    def file(self) -> str:
        return self.diagnostics[0].file

    @property
    def line(self) -> int:
        return self.diagnostics[0].line

    @property
    def column(self) -> int:
        return self.diagnostics[0].column

    @property
    def key_path(self) -> str:
        return self.diagnostics[0].key_path

    @property
    def message(self) -> str:
        return self.diagnostics[0].message


class InputError(TensorfabError, ValueError):
    """The input is wrong: a file, a dict, a name or an argument (the CLI's
    exit code 2)."""


class RunError(TensorfabError, RuntimeError):
    """Valid input that could not be evaluated (the CLI's exit code 1)."""


def _raise(diagnostics) -> TensorfabError:
    """The exception for a failed call (used by the native module)."""
    error = TensorfabError(diagnostics)
    cls = InputError if any(d.kind == "input" for d in error.diagnostics) else RunError
    return cls(error.diagnostics)


def _input_error(message: str, key_path: str = "", notes=()) -> InputError:
    """An InputError about an argument of a Python call."""
    text = "error: " + (key_path + ": " if key_path else "") + message
    if notes:
        text += " (" + "; ".join(notes) + ")"
    return InputError([Diagnostic("input", "", 0, 0, key_path, message, list(notes), text)])
