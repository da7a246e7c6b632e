#!/usr/bin/env python3
"""What a change costs: two toctou binaries over the same checkouts, runs interleaved so that
machine noise falls on both, as a Markdown table of medians (wall, CPU) and peak memory, with
the ratio after/before.

    python3 bench/ab.py --before OLD_BIN --after NEW_BIN [--runs 7] CORPUS_DIR...

Each run is `toctou check DIR --format json -o /dev/null` under /usr/bin/time.
"""

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path


def run(binary: Path, corpus: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in KiB of one scan."""
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", out.name, str(binary), "check",
                        str(corpus), "--format", "json", "--output", "/dev/null"],
                       capture_output=True, check=False)
        wall, user, system, rss = out.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("corpora", nargs="+", type=Path)
    args = parser.parse_args()
    print("| corpus | wall before | wall after | ratio | CPU before | CPU after | ratio "
          "| peak MB before | peak MB after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for corpus in args.corpora:
        samples = {"before": [], "after": []}
        for _ in range(args.runs):
            for side in samples:
                samples[side].append(run(getattr(args, side).resolve(), corpus.resolve()))
        wall = {s: statistics.median(r[0] for r in v) for s, v in samples.items()}
        cpu = {s: statistics.median(r[1] for r in v) for s, v in samples.items()}
        rss = {s: max(r[2] for r in v) // 1024 for s, v in samples.items()}
        print(f"| {corpus.name} | {wall['before']:.2f} | {wall['after']:.2f} "
              f"| {wall['after'] / wall['before']:.2f} | {cpu['before']:.2f} | {cpu['after']:.2f} "
              f"| {cpu['after'] / cpu['before']:.2f} | {rss['before']} | {rss['after']} |", flush=True)


if __name__ == "__main__":
    main()
