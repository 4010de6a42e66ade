"""Build the compiled core. Everything else about the package lives in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

CORE = "src/polyedge/_core"
MODULES = [
    "ring",
    "sequence",
    "fixed",
    "transitions",
    "book",
    "timeline",
    "eventlog",
    "orders",
    "histogram",
    "metrics",
    "tracker",
]
# The plain Python modules every order passes through, compiled as they are: each is
# its own pure-Python twin (POLYEDGE_NO_EXTENSIONS=1 imports the .py beside the build).
# Two twins of the core are among them: the compiled core calls their checks per intent.
# A .pxd beside the hottest makes their classes extension types. Measured with
# benches/instructions.py: 29% fewer instructions per intent. Pydantic models (config,
# venues.latency) stay interpreted: pydantic reads their class bodies in ways compiled
# code breaks.
ORDER_PATH = [
    "engine",
    "intents",
    "sources",
    "routing",
    "lanes",
    "coordinator",
    "strategy",
    "driven",
    "types",
    "fixedpoint",
    "randomness",
    "metrics",
    "venues.simulator",
    "venues.liquidity",
    "venues.prices",
    "venues.amounts",
    "_core.fixed_py",  # the checks the compiled core shares with its twins
    "_core.orders_py",
]

core = [
    Extension(f"polyedge._core.{name}", [f"{CORE}/{name}.pyx"], include_dirs=[CORE])
    for name in MODULES
]
order_path = [
    Extension(f"polyedge.{name}", [f"src/polyedge/{name.replace('.', '/')}.py"])
    for name in ORDER_PATH
]

setup(
    ext_modules=cythonize(
        core,
        include_path=["src"],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "initializedcheck": False,
            "embedsignature": True,
        },
    )
    + cythonize(
        order_path,
        include_path=["src"],
        # Type hints stay hints: the compiled module accepts and refuses what the .py does.
        compiler_directives={"language_level": 3, "annotation_typing": False},
    ),
)
