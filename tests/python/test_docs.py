"""docs/python.md is what scripts/gen_python_docs.py makes of the docstrings."""

import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_reference_is_current():
    made = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_python_docs.py")], capture_output=True,
                          text=True, check=True).stdout
    with open(os.path.join(ROOT, "docs", "python.md")) as f:
        assert f.read() == made, "docs/python.md is stale: python3 scripts/gen_python_docs.py > docs/python.md"
