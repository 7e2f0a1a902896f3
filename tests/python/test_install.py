"""`cmake --install` puts the package where Debian's python3 finds it, and
the installed copy works on its own."""

import os
import subprocess
import sys


def test_installed_package_imports_and_evaluates(tmp_path):
    build, site_dir = os.environ["TFAB_BUILD_DIR"], os.environ["TFAB_PYTHON_INSTALL_DIR"]
    subprocess.run([os.environ["TFAB_CMAKE"], "--install", build, "--prefix", tmp_path], check=True,
                   capture_output=True)
    site = tmp_path / site_dir
    assert (site / "tensorfab" / "__init__.py").is_file()
    # Under the default prefix, /usr/local, the folder is on Debian python3's path.
    if site_dir.startswith("lib/python3."):
        assert "/usr/local/" + site_dir in sys.path
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site),
           "TENSORFAB_DATA": str(tmp_path / "share" / "tensorfab" / "data")}
    p = subprocess.run([sys.executable, "-c", "import tensorfab; r = tensorfab.evaluate('h100-sxm', 'llama-3.1-8b'); "
                        "print(tensorfab.__file__); print(r.result.chip)"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    where, chip = p.stdout.split()
    assert where.startswith(str(site)) and chip == "h100-sxm"
