"""Build the package as users get it, install it in a fresh environment, and run it.

The wheel must carry the compiled core (and its .pxd/.pyi, schema and example) but no
C sources; the sdist must carry the Cython sources so it builds anywhere. Installed,
the compiled core must be the one loaded, and `polyedge run` must give the same digest
with it and with POLYEDGE_NO_EXTENSIONS=1. Repeated on Python 3.12 and 3.13 where those
interpreters exist on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CORE = ("fixed", "ring", "sequence", "transitions")
ORDER_PATH = ("lanes", "routing", "venues/simulator")  # compiled, typed by a .pxd


def _interpreters() -> list[str]:
    """This Python, and a working 3.12 and 3.13 where the machine has them."""
    found = [sys.executable]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for version in ("3.12", "3.13"):
        candidates = sorted(str(p) for p in pyenv.glob(f"{version}.*/bin/python{version}"))
        candidates.append(shutil.which(f"python{version}") or "")
        found += [c for c in candidates if c and _works(c)][:1]
    return found


def _works(python: str) -> bool:
    """A PATH entry may be a shim that only says the version is not selected."""
    return subprocess.run([python, "-c", "pass"], capture_output=True).returncode == 0


def _run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"{args}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def _built(files: list[str], module: str) -> bool:
    """Whether the wheel's `files` hold an extension module built for `module`."""
    return any(f.startswith(f"{module}.") and f.endswith((".so", ".pyd")) for f in files)


def _venv(python: str, where: Path) -> Path:
    _run(python, "-m", "venv", where)
    bin_dir = where / ("Scripts" if os.name == "nt" else "bin")
    _run(bin_dir / "python", "-m", "pip", "install", "-q", "--upgrade", "pip")
    return bin_dir


@pytest.mark.parametrize("python", _interpreters(), ids=lambda p: Path(p).name)
def test_wheel_installs_and_runs_the_same_on_both_cores(python: str, tmp_path: Path) -> None:
    builder = _venv(python, tmp_path / "build-env")
    _run(builder / "python", "-m", "pip", "install", "-q", "build")
    dist = tmp_path / "dist"
    # No --wheel: build makes the sdist, then the wheel from the sdist (so the sdist builds).
    _run(builder / "python", "-m", "build", "--outdir", dist, ROOT)

    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    for module in CORE:
        assert any(n.endswith(f"_core/{module}.pyx") for n in names)
        assert any(n.endswith(f"_core/{module}.pxd") for n in names)
    assert any(n.endswith("polyedge_atomic.h") for n in names)
    for module in ORDER_PATH:
        assert any(n.endswith(f"polyedge/{module}.pxd") for n in names)

    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
    assert not [f for f in files if f.endswith(".c")], "the wheel must carry no C sources"
    for module in CORE:
        assert _built(files, f"polyedge/_core/{module}")
        assert f"polyedge/_core/{module}.pxd" in files and f"polyedge/_core/{module}.pyi" in files
    for module in ORDER_PATH:  # compiled, with the .py beside it as its twin
        assert _built(files, f"polyedge/{module}") and f"polyedge/{module}.py" in files
    for data in ("polyedge/py.typed", "polyedge/example.toml", "polyedge/store/schema.sql"):
        assert data in files

    user = _venv(python, tmp_path / "user-env")
    _run(user / "python", "-m", "pip", "install", "-q", wheel)
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "POLYEDGE_NO_EXTENSIONS")
    }
    assert (
        _run(user / "python", "-c", "import polyedge; print(polyedge.COMPILED)", env=env).strip()
        == "True"
    )
    digests = {}
    for no_extensions in ("0", "1"):
        out = tmp_path / f"run-{no_extensions}.json"
        _run(
            user / "polyedge",
            "run",
            "--intents",
            "1000",
            "--no-store",
            "--quiet",
            "--json",
            out,
            env=env | {"POLYEDGE_NO_EXTENSIONS": no_extensions},
        )
        figures = json.loads(out.read_text())
        assert figures["compiled_core"] is (no_extensions == "0")
        assert figures["intents"] == 1000
        digests[no_extensions] = figures["digest"]
    assert digests["0"] == digests["1"]
