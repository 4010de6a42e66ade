"""Instructions per intent of a virtual-time run on the engine's thread, counted by callgrind.

Wall time on a shared 2-core machine varies by 25% between identical runs; the number of
instructions a run executes barely does, whatever else the machine is doing. It still
varies by some tens of millions between identical runs (measured, mostly in start-up,
even with the fixed hash seed this script sets): about 1% per intent at the default
30,000 intents, far more at a few thousand. So the script reports the median of
--repeat runs. Compare two versions of the engine by it:

    python benches/instructions.py                  # the polyedge this Python imports
    python benches/instructions.py --tree ../other  # another checkout's src/ (built)

Start-up (imports, configuration) is left out by subtracting a run of one intent. Under
callgrind a run is about 50 times slower: one count of the default 30,000 intents takes a
minute or two, so the default three take five.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

RUN = (
    "import asyncio, sys\n"
    "from polyedge.config import TestConfig\n"
    "from polyedge.engine import DryTestingEngine\n"
    "asyncio.run(DryTestingEngine(TestConfig(intents=int(sys.argv[1]))).run())\n"
)


def instructions(intents: int, env: dict[str, str]) -> int:
    """Instructions executed by the engine's thread of a process running `intents` intents
    (the digest's worker thread hashes beside it, on the other core)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/out"
        command = ["valgrind", "--tool=callgrind", "--separate-threads=yes"]
        done = subprocess.run(
            [*command, f"--callgrind-out-file={out}", sys.executable, "-c", RUN, str(intents)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            sys.exit(f"the run under valgrind failed:\n{done.stderr[-2000:]}")
        with open(f"{out}-01") as main_thread:  # thread 1: the one running the engine
            found = re.search(r"^summary:\s+(\d+)", main_thread.read(), re.MULTILINE)
    if found is None:
        sys.exit(f"no summary in callgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--intents", type=int, default=30_000, help="intents in the run")
    parser.add_argument("--tree", help="measure this checkout's src/ (its core built)")
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median of")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed (Debian: apt install valgrind)")
    if args.intents < 2:
        sys.exit("--intents must be at least 2")
    if args.repeat < 1:
        sys.exit("--repeat must be at least 1")
    env = {"PYTHONHASHSEED": "0", **os.environ}
    if args.tree:
        env["PYTHONPATH"] = os.path.join(os.path.abspath(args.tree), "src")
    counts = []
    for _ in range(args.repeat):
        counts.append((instructions(args.intents, env) - instructions(1, env)) / args.intents)
        print(f"  {counts[-1]:,.0f}", flush=True)
    print(
        f"{statistics.median(counts):,.0f} instructions per intent "
        f"(median of {args.repeat}; {args.intents:,} intents, without start-up)"
    )


if __name__ == "__main__":
    main()
