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
    "tracker",
]

extensions = [
    Extension(f"polyedge._core.{name}", [f"{CORE}/{name}.pyx"], include_dirs=[CORE])
    for name in MODULES
]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["src"],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "initializedcheck": False,
            "embedsignature": True,
        },
    ),
)
