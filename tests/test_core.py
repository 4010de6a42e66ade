"""Which core is loaded, and that the compiled modules and their twins offer the same API."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from polyedge import _core

needs_extensions = pytest.mark.skipif(
    not _core.extensions_built(), reason="the compiled core is not built (pip install -e .)"
)


def _loaded_core(no_extensions: str | None) -> tuple[str, str, list[str]]:
    """COMPILED, the ring queue's module, and the plain modules (the core's .pyx aside)
    that came from a compiled build, as a new process with `no_extensions` sees them."""
    env = {k: v for k, v in os.environ.items() if k != "POLYEDGE_NO_EXTENSIONS"}
    if no_extensions is not None:
        env["POLYEDGE_NO_EXTENSIONS"] = no_extensions
    code = (
        "import sys, polyedge, polyedge.cli\n"
        "core = {f'polyedge._core.{name}' for name in polyedge._core.MODULES}\n"
        "built = [n for n, m in sys.modules.items() if n.startswith('polyedge.') and\n"
        "         n not in core and m.__file__.endswith(('.so', '.pyd'))]\n"
        "print(polyedge.COMPILED, polyedge._core.RingQueue.__module__, *sorted(built))"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    compiled, ring, *built = run.stdout.split()
    return compiled, ring, built


def test_switch_selects_the_pure_python_core() -> None:
    assert _loaded_core("1") == ("False", "polyedge._core.ring_py", [])


@needs_extensions
@pytest.mark.parametrize("value", [None, "0", ""])
def test_compiled_core_is_the_default(value: str | None) -> None:
    compiled, ring, built = _loaded_core(value)
    assert (compiled, ring) == ("True", "polyedge._core.ring")
    # The build compiles the order path's plain modules too (setup.py's ORDER_PATH).
    expected = {"polyedge.engine", "polyedge.venues.simulator", "polyedge._core.orders_py"}
    assert expected <= set(built)


def _public_api(module: ModuleType) -> dict[str, list[str]]:
    api: dict[str, list[str]] = {}
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        members = [m for m in dir(obj) if not m.startswith("_")] if inspect.isclass(obj) else []
        api[name] = sorted(members)
    return api


@needs_extensions
@pytest.mark.parametrize("name", _core.MODULES)
def test_twins_share_one_api(name: str) -> None:
    compiled, twin = _core.load(name, compiled=True), _core.load(name, compiled=False)
    compiled_api = _public_api(compiled)
    assert compiled_api, f"{name} exposes nothing"
    assert {k: v for k, v in _public_api(twin).items() if k in compiled_api} == compiled_api


@needs_extensions
@pytest.mark.parametrize("name", _core.MODULES)
def test_stubs_declare_the_compiled_api(name: str) -> None:
    stub = (Path(_core.__file__).parent / f"{name}.pyi").read_text()
    for public, members in _public_api(_core.load(name, compiled=True)).items():
        assert f"def {public}(" in stub or f"class {public}" in stub
        for member in members:  # a method or property, or a plain attribute
            assert f"def {member}(" in stub or f"    {member}: " in stub
