"""Cold start to first paint, as an operator sees it: `rootwizard --demo` started as a real
process on a pseudo-terminal (120x40), timed from the spawn to the first output that holds
the first screen's banner ("SANDBOX"); the process is then killed. Its floor, measured in
turn with it, is the whole process `python -c "import textual.app"`.

    python benchmarks/first_paint.py [--runs N]
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

from bench_audit import ENV, ROOT, rootwizard  # the app as installed, its bytecode cached

MARKER = b"SANDBOX"  # the banner, on the first line of the first frame

def first_paint(argv: list[str], *, marker: bytes = MARKER, timeout: float = 60.0) -> float:
    """Seconds from spawning ``argv`` on a 120x40 pseudo-terminal to its first output
    containing ``marker``."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = dict(ENV, TERM="xterm-256color", COLUMNS="120", LINES="40")
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                            start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while time.perf_counter() - t0 < timeout:
            if select.select([master], [], [], 0.5)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                seen = seen[-len(marker):] + chunk
                if marker in seen:
                    return time.perf_counter() - t0
        raise SystemExit(f"first paint not seen in {timeout:.0f} s: {seen[-500:]!r}")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)


def floor_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True, cwd=ROOT, env=ENV)
    return time.perf_counter() - t0


def measure(runs: int) -> tuple[list[float], list[float]]:
    """(ratios to the floor, first-paint times in ms), the app and its floor in turn."""
    state = tempfile.mkdtemp(prefix="rootwizard-bench-")
    app = [*rootwizard(), "--demo", "--state-dir", state]
    first_paint(app)  # warm: bytecode written, files in the page cache
    floor_seconds()
    ratios, times = [], []
    for _ in range(runs):
        floor = floor_seconds()
        paint = first_paint(app)
        ratios.append(paint / floor)
        times.append(paint * 1000)
    return ratios, times


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 7
    ratios, times = measure(runs)
    print(f"first paint / floor: min {min(ratios):.2f}, median {statistics.median(ratios):.2f}, "
          f"max {max(ratios):.2f}; first paint median {statistics.median(times):.0f} ms")


if __name__ == "__main__":
    main()
