#!/usr/bin/env python3
"""Time toctou against ast-grep and semgrep on git checkouts and write bench/RESULTS.md.

Standard library only. See bench/README.md for what is measured and how to run it.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

AST_GREP_VERSION = "0.51.1"
SEMGREP_VERSION = "1.180.0"

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RULES = BENCH / "rules"

EXTENSIONS = {".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".rs"}
DECLARATIONS = (".d.ts", ".d.mts", ".d.cts")
MAX_BYTES = 2 * 1024 * 1024
MB = 1_000_000

# Keep semgrep off the network: no version check, no metrics.
ENV = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}

SCALES = (1, 2, 4)
SCALING_TOLERANCE = 0.15
PRECOMMIT_FILES = 10

# The rules' sample: a check-then-act each competitor rule must flag, then a read and a write
# with no check between them that it must not.
SAMPLE_TS = """\
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

export async function join(teamId, userId) {
  const member = await prisma.member.findFirst({ where: { teamId, userId } });
  if (member === null) {
    await prisma.member.create({ data: { teamId, userId } });
  }
}

export async function audit(userId) {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  console.log(user);
  await prisma.audit.create({ data: { userId } });
}
"""
SAMPLE_RS = """\
pub async fn invite(pool: &PgPool, email: &str) -> Result<(), Error> {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM invites WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await?;
    if count == 0 {
        sqlx::query("INSERT INTO invites (email) VALUES ($1)").bind(email).execute(pool).await?;
    }
    Ok(())
}

pub async fn audit(pool: &PgPool, email: &str) -> Result<(), Error> {
    let row = sqlx::query("SELECT 1").fetch_one(pool).await?;
    log(row);
    sqlx::query("INSERT INTO audit (email) VALUES ($1)").bind(email).execute(pool).await?;
    Ok(())
}
"""
SAMPLES = {"check.js": SAMPLE_TS, "check.rs": SAMPLE_RS, "check.ts": SAMPLE_TS,
           "check.tsx": SAMPLE_TS}


def log(message):
    print(message, file=sys.stderr, flush=True)


def fail(message):
    sys.exit(f"bench: {message}")


def run(argv, **kwargs):
    """Run a set-up command, failing the benchmark with its output if it fails."""
    done = subprocess.run(argv, env=ENV, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        fail(f"`{' '.join(map(str, argv))}` exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


# Tools


@dataclass
class Tools:
    toctou: Path
    ast_grep: Path
    semgrep: Path
    sgconfig: Path


def find_toctou(given):
    if given:
        path = Path(given).resolve()
        if not path.is_file():
            fail(f"no toctou binary at {path}")
        return path
    path = REPO / "target" / "release" / "toctou"
    if not path.is_file():
        log("building toctou (cargo build --release --locked)")
        if subprocess.run(["cargo", "build", "--release", "--locked"], cwd=REPO).returncode != 0:
            fail("cargo build --release --locked failed")
    return path


def installed_version(binary):
    """The version a binary reports, or None when it is missing or broken."""
    if not binary.is_file():
        return None
    done = subprocess.run([binary, "--version"], env=ENV, capture_output=True, text=True)
    return done.stdout.split()[-1] if done.returncode == 0 and done.stdout.split() else None


def install_ast_grep(scratch):
    prefix = scratch / "ast-grep"
    binary = prefix / "node_modules" / ".bin" / "ast-grep"
    if installed_version(binary) != AST_GREP_VERSION:
        log(f"installing ast-grep {AST_GREP_VERSION} into {prefix}")
        run(["npm", "install", "--prefix", prefix, f"@ast-grep/cli@{AST_GREP_VERSION}"])
    # The platform package holds the native binary; .bin may be a node launcher around it.
    native = sorted((prefix / "node_modules" / "@ast-grep").glob("cli-*/ast-grep"))
    return native[0] if native else binary


def install_semgrep(scratch):
    venv = scratch / "semgrep"
    binary = venv / "bin" / "semgrep"
    if installed_version(binary) != SEMGREP_VERSION:
        log(f"installing semgrep {SEMGREP_VERSION} into {venv}")
        run([sys.executable, "-m", "venv", venv])
        run([venv / "bin" / "pip", "install", "--quiet", f"semgrep=={SEMGREP_VERSION}"])
    return binary


def write_sgconfig(scratch):
    """ast-grep runs all its rules at once from a project file naming the rules folder."""
    path = scratch / "sgconfig.yml"
    path.write_text(f"ruleDirs:\n  - {RULES / 'ast-grep'}\n")
    return path


# Corpora


@dataclass
class Corpus:
    path: Path
    commit: str
    files: list  # relative to path, sorted
    size: int  # bytes

    @property
    def name(self):
        return self.path.name

    @property
    def mb(self):
        return self.size / MB

    def absolute(self):
        return [str(self.path / f) for f in self.files]


def tracked_files(path):
    listed = run(["git", "-C", path, "ls-files", "-z"])
    if not listed:
        # A checkout whose index was removed still has the commit's files on disk.
        listed = run(["git", "-C", path, "ls-tree", "-r", "-z", "--name-only", "HEAD"])
    return [f for f in listed.split("\0") if f]


def selected(path, relative):
    """Whether a tracked file is in the benchmark's file set."""
    if Path(relative).suffix not in EXTENSIONS or relative.endswith(DECLARATIONS):
        return False
    if "node_modules" in Path(relative).parts:
        return False
    full = path / relative
    # Symbolic links and submodules are left out so that every tool sees the same plain files.
    return full.is_file() and not full.is_symlink() and full.stat().st_size <= MAX_BYTES


def load_corpus(directory):
    path = Path(directory).resolve()
    if not (path / ".git").exists():
        fail(f"{path} is not a git checkout")
    files = sorted(f for f in tracked_files(path) if selected(path, f))
    if not files:
        fail(f"{path} has no TypeScript, JavaScript or Rust files")
    size = sum((path / f).stat().st_size for f in files)
    return Corpus(path, run(["git", "-C", path, "rev-parse", "HEAD"]), files, size)


def warm_cache(root, files):
    """Read every file once so that no tool's first run pays for the disk."""
    for f in files:
        (root / f).read_bytes()


# Timing


@dataclass
class Timing:
    wall: float
    cpu: float
    rss_kb: int


@dataclass
class Stage:
    """One command timed over several runs; `count` reads (files, findings) from its output."""

    label: str
    argv: list
    cwd: Path
    stdout: Path
    runs: int
    count: Callable
    ok: tuple = (0, 1)  # toctou's 1 means findings, which is success here
    timings: list = field(default_factory=list)

    def median_wall(self):
        return statistics.median(t.wall for t in self.timings)

    def peak_rss_mb(self):
        return max(t.rss_kb for t in self.timings) / 1024


def check_arg_max(argv):
    """Fail clearly, rather than with E2BIG, when a file list does not fit on a command line."""
    size = sum(len(os.fsencode(str(a))) + 1 + 8 for a in argv)
    size += sum(len(k) + len(v) + 2 + 8 for k, v in ENV.items())
    if size > os.sysconf("SC_ARG_MAX"):
        fail(f"{argv[0]}: {len(argv)} arguments need {size} bytes, over ARG_MAX "
             f"{os.sysconf('SC_ARG_MAX')}; benchmark a smaller corpus")


def timed(stage):
    """Run a stage once: wall time here, user + sys time and peak RSS from /usr/bin/time."""
    times = stage.stdout.with_suffix(".time")
    # Not time's %e: it rounds to 10 ms, too coarse for the floors and the pre-commit run.
    argv = ["/usr/bin/time", "-f", "%U %S %M", "-o", times, *stage.argv]
    with open(stage.stdout, "wb") as out, open(stage.stdout.with_suffix(".err"), "wb") as err:
        start = time.perf_counter()
        code = subprocess.run(argv, cwd=stage.cwd, env=ENV, stdout=out, stderr=err).returncode
        wall = time.perf_counter() - start
    if code not in stage.ok:
        fail(f"{stage.label} exited {code}; see {stage.stdout.with_suffix('.err')}")
    # time prepends a line about a non-zero exit status; the figures are on the last line.
    user, system, rss = times.read_text().split()[-3:]
    return Timing(wall, float(user) + float(system), int(rss))


def run_interleaved(stages):
    """Run i of every stage before run i + 1 of any, so machine noise spreads over all."""
    for i in range(max(s.runs for s in stages)):
        for stage in stages:
            if i < stage.runs:
                log(f"  run {i + 1}/{stage.runs}: {stage.label}")
                stage.timings.append(timed(stage))


# Each tool's command line and what it reports


def toctou_argv(tools, files, report, stop_after=None):
    floor = ["--stop-after", stop_after] if stop_after else []
    return [tools.toctou, "check", *floor, "--quiet", "--format", "json", "-o", report, *files]


def ast_grep_argv(tools, files):
    return [tools.ast_grep, "scan", "-c", tools.sgconfig, "--json=stream", "--inspect", "summary",
            *files]


def semgrep_argv(tools, files):
    return [tools.semgrep, "scan", "--config", RULES / "semgrep", "--metrics=off",
            "--disable-version-check", "--no-git-ignore", "--jobs", "2", "--json", "--quiet",
            # Its default limit is 1 MB; the file set allows up to 2 MiB.
            f"--max-target-bytes={MAX_BYTES}", *files]


def toctou_counts(report):
    summary = json.loads(report.read_text())["summary"]
    return summary["files_scanned"], summary["findings"]


def ast_grep_counts(stdout):
    scanned = re.search(r"scannedFileCount=(\d+)", stdout.with_suffix(".err").read_text())
    findings = sum(1 for line in stdout.read_text().splitlines() if line.strip())
    return int(scanned.group(1)) if scanned else None, findings


def semgrep_counts(stdout):
    report = json.loads(stdout.read_text())
    return len(report["paths"]["scanned"]), len(report["results"])


def toctou_stage(label, tools, files, cwd, work, runs, stop_after=None):
    name = label.replace(" ", "-")
    report = work / f"{name}.json"
    return Stage(label, toctou_argv(tools, files, report, stop_after), cwd, work / f"{name}.stdout",
                 runs, partial(toctou_counts, report))


def tool_stages(tools, files, work, runs, semgrep_runs):
    """The five stages of the comparison, on one list of absolute paths."""
    work.mkdir(parents=True, exist_ok=True)
    stages = [
        toctou_stage("toctou read floor", tools, files, work, work, runs, "read"),
        toctou_stage("toctou parse floor", tools, files, work, work, runs, "parse"),
        toctou_stage("toctou", tools, files, work, work, runs),
        Stage("ast-grep", ast_grep_argv(tools, files), work, work / "ast-grep.out", runs,
              partial(ast_grep_counts, work / "ast-grep.out")),
        Stage("semgrep", semgrep_argv(tools, files), work, work / "semgrep.out", semgrep_runs,
              partial(semgrep_counts, work / "semgrep.out")),
    ]
    for stage in stages:
        check_arg_max(stage.argv)
    return stages


# The rules' self-check


def verify_rules(tools, scratch):
    """Every competitor rule must flag the sample in every language, or the comparison is void."""
    folder = scratch / "sample"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SAMPLES.items():
        (folder / name).write_text(text)
    files = list(SAMPLES)
    ast_grep = run(ast_grep_argv(tools, files), cwd=folder)
    semgrep = json.loads(run(semgrep_argv(tools, files), cwd=folder))
    flagged = {
        "ast-grep": [json.loads(line)["file"] for line in ast_grep.splitlines() if line],
        "semgrep": [result["path"] for result in semgrep["results"]],
    }
    for tool, paths in flagged.items():
        wrong = [f"{f}: {paths.count(f)}" for f in files if paths.count(f) != 1]
        if wrong:
            fail(f"the {tool} rules should find one race in each sample in {folder}, found "
                 + ", ".join(wrong))


# Scaling and pre-commit


def build_scaled(corpus, scratch):
    """SCRATCH/scale/N/copyK/...: N copies of the file set, hard-linked where possible."""
    root = scratch / "scale"
    shutil.rmtree(root, ignore_errors=True)
    lists = {}
    for n in SCALES:
        lists[n] = []
        for k in range(1, n + 1):
            for f in corpus.files:
                target = root / str(n) / f"copy{k}" / f
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(corpus.path / f, target)
                except OSError:
                    shutil.copyfile(corpus.path / f, target)
                lists[n].append(f"copy{k}/{f}")
    return root, lists


def scaling_stages(tools, corpus, scratch, runs):
    root, lists = build_scaled(corpus, scratch)
    work = scratch / "out" / "scale"
    work.mkdir(parents=True, exist_ok=True)
    # Paths relative to each copy set's folder keep four copies of the files under ARG_MAX.
    stages = [toctou_stage(f"toctou {n}x", tools, lists[n], root / str(n), work, runs)
              for n in SCALES]
    for stage in stages:
        check_arg_max(stage.argv)
    return stages


WORD = re.compile(rb"\b(await|fn)\b")


def precommit_files(corpus):
    """PRECOMMIT_FILES files at evenly spaced places among those with `await` or `fn`."""
    eligible = [f for f in corpus.files if WORD.search((corpus.path / f).read_bytes())]
    count = min(PRECOMMIT_FILES, len(eligible))
    return [eligible[i * len(eligible) // count] for i in range(count)]


def files_opened(tools, corpus, files, scratch):
    """The files toctou opens for reading, system ones aside, traced once; None without strace."""
    strace = shutil.which("strace")
    if not strace:
        return None
    traces = scratch / "out" / "strace"
    shutil.rmtree(traces, ignore_errors=True)
    traces.mkdir(parents=True)
    # -ff: one file per thread, so that no call is split across lines by another thread's.
    argv = [strace, "-ff", "-qq", "-e", "trace=open,openat", "-o", traces / "trace",
            *toctou_argv(tools, files, traces / "report.json")]
    subprocess.run(argv, cwd=corpus.path, env=ENV, capture_output=True)
    opened = set()
    for trace in sorted(traces.glob("trace.*")):
        for call in OPEN.finditer(trace.read_text()):
            path, flags = call.groups()
            if not re.search(r"O_WRONLY|O_RDWR|O_DIRECTORY", flags):
                opened.add(os.path.normpath(os.path.join(corpus.path, path)))
    return sorted(p for p in opened if not p.startswith(SYSTEM))


OPEN = re.compile(r'^open(?:at)?\((?:[^,"]+, )?"([^"]+)", ([A-Z_|]+).*\) = \d+', re.MULTILINE)
SYSTEM = ("/proc/", "/sys/", "/dev/", "/etc/", "/lib", "/usr/")


# Report


def machine():
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((l.split(":", 1)[1].strip() for l in cpuinfo if l.startswith("model name")),
               platform.processor() or "unknown CPU")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(l.split()[1]) for l in meminfo if l.startswith("MemTotal:"))
    return f"{len(os.sched_getaffinity(0))} CPUs ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB memory"


def versions(tools):
    """What each tool calls itself; semgrep prints a bare version number."""
    return [run([tools.toctou, "--version"]), run([tools.ast_grep, "--version"]),
            "semgrep " + run([tools.semgrep, "--version"]), f"Python {platform.python_version()}"]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def stage_row(stage, corpus):
    walls = [t.wall for t in stage.timings]
    median = stage.median_wall()
    files, findings = stage.count()
    return [stage.label, f"{median:.3f}", f"{min(walls):.3f}", f"{max(walls):.3f}",
            f"{statistics.median(t.cpu for t in stage.timings):.2f}",
            f"{stage.peak_rss_mb():.0f}", f"{corpus.mb / median:.3g}",
            "?" if files is None else files, "—" if "floor" in stage.label else findings]


def corpus_section(corpus, stages):
    header = ["stage", "wall median s", "min s", "max s", "CPU s (median)", "peak RSS MB", "MB/s",
              "files scanned", "findings"]
    return (f"### {corpus.name}\n\ncommit `{corpus.commit}`, {len(corpus.files)} files, "
            f"{corpus.mb:.1f} MB\n\n" + table(header, [stage_row(s, corpus) for s in stages]))


def scaling_ratios(stages):
    """Each scale's median wall time over the 1x one, with whether it is close enough to linear."""
    base = stages[0].median_wall()
    return [(n, s.median_wall() / base, abs(s.median_wall() / base / n - 1) <= SCALING_TOLERANCE)
            for n, s in zip(SCALES, stages)]


def scaling_section(corpus, stages):
    rows = [[f"{n}x", stage.count()[0], f"{stage.median_wall():.3f}", f"{ratio:.2f}", f"{n:.1f}",
             "—" if n == 1 else ("yes" if within else "NO")]
            for (n, ratio, within), stage in zip(scaling_ratios(stages), stages)]
    header = ["copies", "files", "wall median s", "ratio to 1x", "ideal", "within 15%"]
    return f"## Scaling ({corpus.name})\n\n" + table(header, rows)


def precommit_section(corpus, files, stage, opened):
    rows = [["files named", len(files)], ["wall median s", f"{stage.median_wall():.3f}"],
            ["peak RSS MB", f"{stage.peak_rss_mb():.0f}"]]
    if opened is not None:
        named = {os.path.normpath(corpus.path / f) for f in files}
        others = len([p for p in opened if p not in named])
        rows.append(["files opened for reading, system files aside (strace)",
                     f"{len(opened)}: {len(opened) - others} named, {others} others"])
    return (f"## Pre-commit ({corpus.name}, run from the corpus folder)\n\n"
            + table(["measure", "value"], rows))


def by_label(stages, label):
    return next(s for s in stages if s.label == label)


def per_corpus(results, name, figure, met):
    """A target checked on every corpus: met only if met on all of them."""
    figures = [(corpus.name, figure(stages)) for corpus, stages in results]
    shown = ", ".join(f"{value:.2f}× ({corpus})" for corpus, value in figures)
    return [name, shown, "met" if all(met(v) for _, v in figures) else "NOT met"]


def wall_ratio(slower, faster):
    """One stage's median wall time over another's: on the same files, the inverse MB/s ratio."""
    return lambda s: by_label(s, slower).median_wall() / by_label(s, faster).median_wall()


def targets_section(results, scaling, precommit_wall):
    largest, stages = max(results, key=lambda r: r[0].size)
    rss = by_label(stages, "toctou").peak_rss_mb()
    ratios = scaling_ratios(scaling)[1:]
    rows = [
        per_corpus(results, "toctou throughput ≥ 2× ast-grep's",
                   wall_ratio("ast-grep", "toctou"), lambda v: v >= 2),
        per_corpus(results, "toctou throughput ≥ 20× semgrep's",
                   wall_ratio("semgrep", "toctou"), lambda v: v >= 20),
        per_corpus(results, "toctou total ≤ 2× its parse-only time",
                   wall_ratio("toctou", "toctou parse floor"), lambda v: v <= 2),
        [f"toctou peak RSS ≤ 200 MB on the largest corpus ({largest.name})", f"{rss:.0f} MB",
         "met" if rss <= 200 else "NOT met"],
        ["toctou scaling within 15% of linear",
         ", ".join(f"{ratio:.2f} at {n}x" for n, ratio, _ in ratios),
         "met" if all(within for _, _, within in ratios) else "NOT met"],
        [f"pre-commit ({PRECOMMIT_FILES} files) < 1 s", f"{precommit_wall:.3f} s",
         "met" if precommit_wall < 1 else "NOT met"],
    ]
    return "## Targets\n\n" + table(["target", "measured", "result"], rows)


def render(tools, args, results, scaling, precommit):
    (scaled, scaling_stages_), (committed, files, stage, opened) = scaling, precommit
    parts = [
        "# Benchmark results",
        f"Written by `bench/run.py` on {datetime.date.today().isoformat()}. Timed runs: "
        f"{args.runs} of each toctou stage and of ast-grep, {args.semgrep_runs} of semgrep, "
        "interleaved. Wall times are medians, CPU is user + sys, peak RSS is the largest of any "
        "run, MB/s is the corpus size over the median wall time.",
        f"Machine: {machine()}.",
        "Versions: " + ", ".join(versions(tools)) + ".",
        "## Corpora",
        *(corpus_section(corpus, stages) for corpus, stages in results),
        scaling_section(scaled, scaling_stages_),
        precommit_section(committed, files, stage, opened),
        targets_section(results, scaling_stages_, stage.median_wall()),
    ]
    return "\n\n".join(parts) + "\n"


# Main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="+", metavar="CORPUS_DIR", help="git checkouts to scan")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each stage")
    parser.add_argument("--semgrep-runs", type=int, default=1, help="timed runs of semgrep")
    parser.add_argument("--toctou", help="toctou binary (default: target/release/toctou, built "
                        "if missing)")
    parser.add_argument("--scratch", type=Path, default=BENCH / ".scratch",
                        help="where the tools are installed and the outputs kept")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md", help="the report")
    parser.add_argument("--precommit-corpus", help="default: the corpus with the most files")
    parser.add_argument("--scaling-corpus", help="default: the first corpus")
    args = parser.parse_args()
    if args.runs < 1 or args.semgrep_runs < 1:
        parser.error("--runs and --semgrep-runs must be at least 1")
    return args


def pick(corpora, directory, default):
    """The corpus at `directory`, loaded anew if it is not one of those benchmarked."""
    if directory is None:
        return default
    path = Path(directory).resolve()
    return next((c for c in corpora if c.path == path), None) or load_corpus(path)


def compare(tools, corpora, scratch, args):
    results = []
    for corpus in corpora:
        log(f"{corpus.name}: {len(corpus.files)} files, {corpus.mb:.1f} MB")
        warm_cache(corpus.path, corpus.files)
        stages = tool_stages(tools, corpus.absolute(), scratch / "out" / corpus.name, args.runs,
                             args.semgrep_runs)
        run_interleaved(stages)
        results.append((corpus, stages))
    return results


def scale(tools, corpus, scratch, args):
    log(f"scaling: {corpus.name}")
    warm_cache(corpus.path, corpus.files)
    stages = scaling_stages(tools, corpus, scratch, args.runs)
    run_interleaved(stages)
    return corpus, stages


def precommit(tools, corpus, scratch, args):
    log(f"pre-commit: {corpus.name}")
    files = precommit_files(corpus)
    stage = toctou_stage("toctou pre-commit", tools, files, corpus.path, scratch / "out", args.runs)
    run_interleaved([stage])
    return corpus, files, stage, files_opened(tools, corpus, files, scratch)


def main():
    args = parse_args()
    scratch = args.scratch.resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    tools = Tools(find_toctou(args.toctou), install_ast_grep(scratch), install_semgrep(scratch),
                  write_sgconfig(scratch))
    verify_rules(tools, scratch)
    corpora = [load_corpus(d) for d in args.corpora]
    results = compare(tools, corpora, scratch, args)
    scaling = scale(tools, pick(corpora, args.scaling_corpus, corpora[0]), scratch, args)
    most_files = max(corpora, key=lambda c: len(c.files))
    committed = precommit(tools, pick(corpora, args.precommit_corpus, most_files), scratch, args)
    report = render(tools, args, results, scaling, committed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print(report)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
