"""What the Python tests share: the CLI they are compared with, and the
shipped data. ctest sets TFAB_CLI, TENSORFAB_DATA and PYTHONPATH."""

import json
import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def data() -> str:
    return os.environ["TENSORFAB_DATA"]


@pytest.fixture(scope="session")
def cli():
    """Runs the CLI: (exit code, stdout, stderr)."""
    binary = os.environ["TFAB_CLI"]

    def run(*args, cwd=None):
        p = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, cwd=cwd)
        return p.returncode, p.stdout, p.stderr

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    """The CLI's --format json output, parsed; it must have exited 0 or 1."""

    def run(*args):
        code, out, err = cli(*args, "--format", "json")
        assert code in (0, 1), err
        return json.loads(out)

    return run
