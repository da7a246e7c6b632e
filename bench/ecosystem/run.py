#!/usr/bin/env python3
"""The ecosystem check: runs a toctou binary over the pinned services of services.toml and
compares its findings with the last recorded run (findings/<service>.json), the way a linter's
ecosystem check shows what a change does to real code before it lands.

    python3 bench/ecosystem/run.py [--toctou BIN] [--mirror DIR] [--only NAME ...] [--record]

Each service is checked out at its pinned commit from a bare clone in --mirror
(`<owner>+<name>/repo`, as the fetch tool lays them out, or `<owner>+<name>.git`) into
bench/.scratch/ecosystem/, which git ignores. The report lists per service the files
scanned, the wall time, the findings, and the new, gone and changed ones; every finding
without a verdict in verdicts.csv is listed for review. Precision is the share of judged
findings that a team would fix. --record replaces the recorded findings with this run's.
"""

import argparse
import csv
import json
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VERDICTS = ("fix", "harmless", "false-alarm")


def load_services(only: list[str]) -> list[dict]:
    services = tomllib.loads((HERE / "services.toml").read_text())["service"]
    unknown = set(only) - {s["name"] for s in services}
    if unknown:
        sys.exit(f"unknown service(s): {', '.join(sorted(unknown))}")
    return [s for s in services if not only or s["name"] in only]


def git_dir(mirror: Path, repo: str) -> Path:
    stem = repo.replace("/", "+")
    for candidate in (mirror / stem / "repo", mirror / f"{stem}.git", mirror / stem):
        if (candidate / "HEAD").exists():
            return candidate
    sys.exit(f"no clone of {repo} under {mirror}: fetch it first (see bench/ecosystem/README.md)")


def checkout(service: dict, mirror: Path, scratch: Path) -> Path:
    """The service's tree at its pinned commit, extracted once. Blobs the clone lacks (the
    fetch tool leaves out files of 4 MiB and more) and symbolic links are left out."""
    into = scratch / service["name"]
    stamp = into / ".toctou-ecosystem-commit"
    if stamp.exists() and stamp.read_text().strip() == service["commit"]:
        return into
    subprocess.run(["rm", "-rf", str(into)], check=True)
    into.mkdir(parents=True)
    git = ["git", "--git-dir", str(git_dir(mirror, service["repo"]))]
    listing = subprocess.run(git + ["ls-tree", "-r", "-z", service["commit"]],
                             check=True, capture_output=True).stdout
    blobs = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode in (b"100644", b"100755"):
            blobs.append((sha, path.decode("utf-8", "surrogateescape")))
    batch = subprocess.Popen(git + ["cat-file", "--batch"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    # Fed from a thread: written whole up front, the request would fill the pipe's buffer
    # while git waits for its answers to be read.
    def feed() -> None:
        batch.stdin.write(b"".join(sha + b"\n" for sha, _ in blobs))
        batch.stdin.close()
    threading.Thread(target=feed, daemon=True).start()
    for sha, path in blobs:
        header = batch.stdout.readline().split()
        if header[-1] == b"missing":
            continue
        content = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    batch.wait()
    stamp.write_text(service["commit"] + "\n")
    return into


def scan(toctou: Path, tree: Path) -> dict:
    report = tree / ".toctou-ecosystem-report.json"
    start = time.monotonic()
    run = subprocess.run([str(toctou), "check", ".", "--format", "json", "--output", str(report)],
                         cwd=tree, capture_output=True, text=True)
    wall = time.monotonic() - start
    if run.returncode not in (0, 1):
        return {"exit": run.returncode, "wall": wall, "stderr": run.stderr[-2000:], "findings": []}
    data = json.loads(report.read_text())
    report.unlink()
    findings = [{
        "rule": f["rule"],
        "severity": f["severity"],
        "file": f["file"].removeprefix("./"),
        "line": f["location"]["line"],
        "function": f["function"],
        "message": f["message"],
    } for f in data["findings"]]
    return {"exit": run.returncode, "wall": wall, "files": data["summary"]["files_scanned"],
            "notes": len(data["notes"]), "findings": findings}


def key(f: dict) -> tuple:
    return (f["file"], f["line"], f["rule"])


def diff(old: list[dict], new: list[dict]) -> tuple[list, list, list]:
    before, after = {key(f): f for f in old}, {key(f): f for f in new}
    added = [after[k] for k in sorted(after.keys() - before.keys())]
    gone = [before[k] for k in sorted(before.keys() - after.keys())]
    changed = [(before[k], after[k]) for k in sorted(after.keys() & before.keys())
               if (before[k]["message"], before[k]["severity"]) != (after[k]["message"], after[k]["severity"])]
    return added, gone, changed


def load_verdicts() -> dict:
    path = HERE / "verdicts.csv"
    verdicts = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["verdict"] not in VERDICTS:
                sys.exit(f"verdicts.csv: `{row['verdict']}` is not one of {', '.join(VERDICTS)}")
            verdicts[(row["service"], row["file"], int(row["line"]), row["rule"])] = row
    return verdicts


def show(f: dict) -> str:
    return f"`{f['file']}:{f['line']}` {f['rule']} ({f['severity']}): {f['message']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--toctou", type=Path, default=ROOT / "target/release/toctou")
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--scratch", type=Path, default=ROOT / "bench/.scratch/ecosystem")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--record", action="store_true",
                        help="store this run's findings as the ones the next run is compared with")
    args = parser.parse_args()
    toctou = args.toctou.resolve()
    if not toctou.is_file():
        sys.exit(f"no toctou binary at {toctou}: build one with `cargo build --release --locked`")
    verdicts = load_verdicts()
    recorded = HERE / "findings"
    recorded.mkdir(exist_ok=True)

    rows, details, unjudged = [], [], []
    totals = dict.fromkeys(VERDICTS, 0)
    for service in load_services(args.only):
        tree = checkout(service, args.mirror, args.scratch)
        result = scan(toctou, tree)
        name = service["name"]
        if "files" not in result:
            rows.append(f"| {name} | - | {result['wall']:.2f} | exit {result['exit']} | | | | |")
            details.append(f"### {name}: exit {result['exit']}\n```\n{result['stderr']}\n```")
            continue
        path = recorded / f"{name}.json"
        old = json.loads(path.read_text())["findings"] if path.exists() else []
        added, gone, changed = diff(old, result["findings"])
        judged = {v: 0 for v in VERDICTS}
        for f in result["findings"]:
            verdict = verdicts.get((name, f["file"], f["line"], f["rule"]))
            if verdict:
                judged[verdict["verdict"]] += 1
            else:
                unjudged.append(f"- {name} {show(f)}")
        for v in VERDICTS:
            totals[v] += judged[v]
        rows.append(f"| {name} | {result['files']} | {result['wall']:.2f} | {len(result['findings'])} "
                    f"| +{len(added)} | -{len(gone)} | ~{len(changed)} "
                    f"| {judged['fix']}/{judged['harmless']}/{judged['false-alarm']} |")
        if added or gone or changed:
            lines = [f"### {name}"]
            lines += [f"- new: {show(f)}" for f in added]
            lines += [f"- gone: {show(f)}" for f in gone]
            lines += [f"- changed: {show(b)}\n  now: {a['severity']}: {a['message']}" for b, a in changed]
            details.append("\n".join(lines))
        if args.record:
            path.write_text(json.dumps({"service": name, "commit": service["commit"],
                                        "findings": result["findings"]}, indent=1) + "\n")

    print("| service | files | wall s | findings | new | gone | changed | fix/harmless/false |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    judged = sum(totals.values())
    if judged:
        print(f"\nprecision: {totals['fix']}/{judged} judged findings a team would fix "
              f"({100 * totals['fix'] / judged:.0f} %); {len(unjudged)} without a verdict")
    if details:
        print("\n## Changes against the recorded run\n\n" + "\n\n".join(details))
    if unjudged:
        print("\n## Findings without a verdict (add them to verdicts.csv)\n\n" + "\n".join(unjudged))


if __name__ == "__main__":
    main()
