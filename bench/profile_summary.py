"""Summarise a py-spy collapsed-stack file (``py-spy record --format raw``): where the time of each thread goes.

python -m bench.profile_summary /tmp/drain-0.txt [--top 25]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def _short(frame: str) -> str:
    found = _FRAME.match(frame)
    if found is None:
        return frame
    file = found["file"]
    for marker in ("site-packages/", "/main/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{found['function']} ({file})"


def summarise(path: Path, top: int = 25, thread: str | None = None) -> list[str]:
    threads: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if thread is not None and thread not in frames[0]:
            continue
        total += count
        threads[frames[0]] += count
        # The first frame is the thread ("thread (0x...)" or "process ..."), the last one runs right now.
        for frame in {_short(f) for f in frames[1:]}:
            inclusive[frame] += count
        own[_short(frames[-1])] += count
    lines = [f"{total} samples"]
    lines += [f"  {100 * n / total:5.1f} %  thread {name}" for name, n in threads.most_common(8)]
    lines.append("inclusive (the function and what it calls):")
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in inclusive.most_common(top)]
    lines.append("self (the function itself):")
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in own.most_common(top)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_summary", description=__doc__.split("\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--thread", help="only the threads whose name contains this, e.g. mqtt-network")
    args = parser.parse_args(argv)
    print(*summarise(args.profile, args.top, args.thread), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
