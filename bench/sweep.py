#!/usr/bin/env python3
"""Runs the release binary over checkouts of real projects, one after another, and prints a
Markdown table: files scanned, wall time, peak memory, findings by rule, notes, exit code.
A panic or a hang shows as an exit code other than 0 or 1 (a hang is killed after --timeout).

    python3 bench/sweep.py [--toctou PATH] [--timeout SECONDS] CORPUS_DIR...
"""

import argparse
import collections
import json
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commit(corpus: Path) -> str:
    out = subprocess.run(["git", "-C", str(corpus), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "-"


def scan(toctou: Path, corpus: Path, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report, rss = Path(tmp, "report.json"), Path(tmp, "rss")
        cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss),
               str(toctou), "check", ".", "--format", "json", "--output", str(report)]
        start = time.monotonic()
        try:
            run = subprocess.run(cmd, cwd=corpus, capture_output=True, text=True, timeout=timeout)
            code, stderr = run.returncode, run.stderr
        except subprocess.TimeoutExpired:
            return {"code": "hang", "wall": timeout}
        wall = time.monotonic() - start
        result = {"code": code, "wall": wall, "stderr": stderr.strip()[-300:]}
        if report.exists() and code in (0, 1):
            data = json.loads(report.read_text())
            result["files"] = data["summary"]["files_scanned"]
            result["rules"] = collections.Counter(f["rule"] for f in data["findings"])
            result["notes"] = collections.Counter(note_kind(n["message"]) for n in data["notes"])
        result["rss_mb"] = int(rss.read_text().split()[-1]) // 1024 if rss.exists() else None
        return result


def note_kind(message: str) -> str:
    """Notes grouped by what they say, without the file-specific detail."""
    for key in ["syntax error", "cannot parse", "minified", "not valid UTF-8", "over the",
                "abandoned", "call more than", "nested deeper", "cannot read", "loop"]:
        if key in message:
            return key
    return message[:40]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--toctou", type=Path, default=ROOT / "target/release/toctou")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("corpora", nargs="+", type=Path)
    args = parser.parse_args()
    print("| corpus | commit | files | wall s | peak MB | exit | findings | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for corpus in args.corpora:
        r = scan(args.toctou.resolve(), corpus.resolve(), args.timeout)
        rules = ", ".join(f"{k} {v}" for k, v in sorted(r.get("rules", {}).items())) or "0"
        notes = ", ".join(f"{k} {v}" for k, v in sorted(r.get("notes", {}).items())) or "-"
        print(f"| {corpus.name} | {commit(corpus)} | {r.get('files', '-')} | {r['wall']:.2f} | "
              f"{r.get('rss_mb', '-')} | {r['code']} | {rules} | {notes} |", flush=True)
        if r["code"] not in (0, 1):
            print(f"<!-- {corpus.name}: {r.get('stderr', '')} -->")


if __name__ == "__main__":
    main()
