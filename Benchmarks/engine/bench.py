#!/usr/bin/env python3
"""Engine benchmark: Paperflow vs Snakemake vs DVC on the same synthetic DAGs, in one run.

Each step reads its parent's small file and writes one line (`cat parent > /dev/null; echo i > out`).
Shapes: a chain (step i reads step i-1) and a fan-out (every step reads step 0), at 10, 100 and 500
steps. For each tool: the cold run (everything executes), then after a 2.1 s pause (the racy
window: see RACY_PAUSE) the first no-op rerun, then five rounds of no-op reruns interleaved across
the tools (median). Also, for Paperflow alone: a 10,000-step chain (validate, plan, run, no-op), the
lock file written once per run, and hashing a 1 GiB input (first time vs. the memoised no-op).

Usage: python3 Benchmarks/engine/bench.py [--quick] [--skip-dvc] [--skip-snakemake]
It builds paperflow in release mode and installs Snakemake 9.27 and DVC 3.67 into
Benchmarks/engine/.venv on first use. Work directories go under Benchmarks/engine/work/.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = HERE / "work"
VENV = HERE / ".venv"
SNAKEMAKE_VERSION = "9.27.0"
DVC_VERSION = "3.67.0"


def sh(cmd, cwd=None, env=None, check=True):
    result = subprocess.run(cmd, cwd=cwd, env=env, shell=isinstance(cmd, str),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and result.returncode != 0:
        sys.stderr.write(f"command failed ({result.returncode}): {cmd}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}\n")
        raise SystemExit(1)
    return result


def timed(cmd, cwd, env=None):
    start = time.perf_counter()
    sh(cmd, cwd=cwd, env=env)
    return time.perf_counter() - start


def paperflow_binary():
    sh(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "paperflow"], cwd=ROOT)
    path = sh(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"], cwd=ROOT).stdout.strip()
    return str(Path(path) / "paperflow")


def ensure_venv(skip_snakemake, skip_dvc):
    python = VENV / "bin" / "python"
    if not python.exists():
        sh([sys.executable, "-m", "venv", str(VENV)])
    wanted = []
    if not skip_snakemake and not (VENV / "bin" / "snakemake").exists():
        wanted.append(f"snakemake=={SNAKEMAKE_VERSION}")
    if not skip_dvc and not (VENV / "bin" / "dvc").exists():
        wanted.append(f"dvc=={DVC_VERSION}")
    if wanted:
        print(f"installing {', '.join(wanted)} into {VENV} ...", flush=True)
        sh([str(python), "-m", "pip", "install", "--quiet", *wanted])
    return VENV / "bin"


def parent(shape, i):
    return i - 1 if shape == "chain" else 0


def make_paperflow(directory, shape, n):
    lines = ["workflow: bench", "stages:",
             "  s0: {uses: shell@1, with: {cmd: 'echo 0 > {outs.out}', outs: {out: s0.txt}}}"]
    for i in range(1, n):
        p = parent(shape, i)
        lines.append(f"  s{i}: {{uses: shell@1, inputs: {{data: s{p}.out}}, "
                     f"with: {{cmd: 'cat {{data}} > /dev/null; echo {i} > {{outs.out}}', outs: {{out: s{i}.txt}}}}}}")
    (directory / "Workflows").mkdir(parents=True)
    (directory / "Workflows" / "bench.yaml").write_text("\n".join(lines) + "\n")


def make_snakemake(directory, shape, n):
    directory.mkdir(parents=True)
    rules = [f"rule all:\n    input: [{', '.join(repr(f'out/s{i}.txt') for i in range(n))}]\n",
             "rule s0:\n    output: 'out/s0.txt'\n    shell: 'echo 0 > {output}'\n"]
    for i in range(1, n):
        rules.append(f"rule s{i}:\n    input: 'out/s{parent(shape, i)}.txt'\n    output: 'out/s{i}.txt'\n"
                     f"    shell: 'cat {{input}} > /dev/null; echo {i} > {{output}}'\n")
    (directory / "Snakefile").write_text("\n".join(rules))


def make_dvc(directory, shape, n, bin_dir):
    directory.mkdir(parents=True)
    sh([str(bin_dir / "dvc"), "init", "--no-scm", "-q"], cwd=directory)
    stages = {"s0": {"cmd": "mkdir -p out && echo 0 > out/s0.txt", "outs": ["out/s0.txt"]}}
    for i in range(1, n):
        p = parent(shape, i)
        stages[f"s{i}"] = {"cmd": f"cat out/s{p}.txt > /dev/null; echo {i} > out/s{i}.txt",
                           "deps": [f"out/s{p}.txt"], "outs": [f"out/s{i}.txt"]}
    (directory / "dvc.yaml").write_text(json.dumps({"stages": stages}, indent=1))


def prepare(tool, shape, n, paperflow, bin_dir):
    """Writes the tool's project for the DAG; returns (directory, command)."""
    directory = WORK / f"{tool}-{shape}-{n}"
    shutil.rmtree(directory, ignore_errors=True)
    if tool == "paperflow":
        make_paperflow(directory, shape, n)
        cmd = [paperflow, "run", "Workflows/bench.yaml", "-j", "1"]
    elif tool == "snakemake":
        make_snakemake(directory, shape, n)
        cmd = [str(bin_dir / "snakemake"), "--cores", "1", "--quiet", "all"]
    else:
        make_dvc(directory, shape, n, bin_dir)
        cmd = [str(bin_dir / "dvc"), "repro", "-q"]
    return directory, cmd


# Every tool decides "nothing changed" from file times, and a file changed within a clock tick of
# being looked at cannot be told from an unchanged one: Paperflow trusts a stat only when the file
# is two seconds older than the run (git's racy-clean rule). The no-ops start after that pause, for
# every tool alike; the first no-op after a change is reported on its own (Paperflow's does the full
# check and writes the stamp that later no-ops replay), the rest are interleaved rounds.
RACY_PAUSE = 2.1


def measure_all(tools, shape, n, paperflow, bin_dir, rounds=5):
    projects = {tool: prepare(tool, shape, n, paperflow, bin_dir) for tool in tools}
    results = {}
    for tool in tools:
        directory, cmd = projects[tool]
        try:
            results[tool] = {"cold": timed(cmd, directory), "noops": []}
        except SystemExit:
            results[tool] = None
    live = [tool for tool in tools if results[tool] is not None]
    time.sleep(RACY_PAUSE)
    for tool in live:
        directory, cmd = projects[tool]
        results[tool]["first_noop"] = timed(cmd, directory)
    for _ in range(rounds):
        for tool in live:
            directory, cmd = projects[tool]
            results[tool]["noops"].append(timed(cmd, directory))
    for tool in live:
        r = results[tool]
        r["per_step_ms"] = 1000 * r["cold"] / n
        r["noop"] = statistics.median(r["noops"])
    return results


def paperflow_long_chain(paperflow, n=10_000):
    directory = WORK / f"paperflow-chain-{n}"
    shutil.rmtree(directory, ignore_errors=True)
    make_paperflow(directory, "chain", n)
    plan = timed([paperflow, "plan", "Workflows/bench.yaml"], directory)
    cold = timed([paperflow, "run", "Workflows/bench.yaml", "-j", "1"], directory)
    lock = directory / "Workflows" / "bench.lock"
    lock_inode = lock.stat().st_ino
    noop = statistics.median(timed([paperflow, "run", "Workflows/bench.yaml"], directory) for _ in range(3))
    records = sorted((directory / "Artifacts" / "runs").glob("*.jsonl"))
    lines_per_record = [sum(1 for _ in open(r)) for r in records]
    return {"steps": n, "plan": plan, "cold": cold, "per_step_ms": 1000 * cold / n, "noop": noop,
            "lock_rewritten_by_noop": lock.stat().st_ino != lock_inode, "run_record_lines": lines_per_record}


def paperflow_hashing(paperflow, gib=1):
    directory = WORK / "paperflow-hash"
    shutil.rmtree(directory, ignore_errors=True)
    (directory / "Workflows").mkdir(parents=True)
    (directory / "data").mkdir()
    big = directory / "data" / "big.bin"
    sh(f"head -c {gib}G /dev/urandom > {big}")
    (directory / "Workflows" / "h.yaml").write_text(
        "workflow: h\nstages:\n  big: {uses: io.file@1, with: {path: data/big.bin}}\n")
    size = big.stat().st_size
    sh(f"cat {big} > /dev/null")  # page cache warm, as for every tool below
    cat = timed(f"cat {big} > /dev/null", directory)
    sha256sum = timed(f"sha256sum {big} > /dev/null", directory)
    hashlib_s = timed([sys.executable, "-c", "import hashlib,sys\nh=hashlib.sha256()\nf=open(sys.argv[1],'rb')\n"
                       "for b in iter(lambda: f.read(4<<20), b''): h.update(b)", str(big)], directory)
    first_hash = timed([paperflow, "plan", "Workflows/h.yaml"], directory)   # hashes, stores nothing
    ingest = timed([paperflow, "run", "Workflows/h.yaml"], directory)        # copies into the store
    noop = statistics.median(timed([paperflow, "run", "Workflows/h.yaml"], directory) for _ in range(3))
    touched = timed(f"touch {big}", directory)
    after_touch = timed([paperflow, "run", "Workflows/h.yaml"], directory)   # stat changed: rehash, cache hit
    return {"bytes": size, "cat_s": cat, "sha256sum_s": sha256sum, "paperflow_first_hash_s": first_hash,
            "paperflow_GBps": size / first_hash / 1e9, "sha256sum_GBps": size / sha256sum / 1e9,
            "hashlib_s": hashlib_s, "hashlib_GBps": size / hashlib_s / 1e9,
            "ingest_run_s": ingest, "noop_run_s": noop, "run_after_touch_s": after_touch + touched}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 and 100 steps only")
    parser.add_argument("--skip-dvc", action="store_true")
    parser.add_argument("--skip-snakemake", action="store_true")
    parser.add_argument("--part", choices=["all", "dags", "long", "hash"], default="all",
                        help="run one part only: the tool comparison, the 10,000-step chain, or hashing")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    paperflow = paperflow_binary()
    bin_dir = ensure_venv(args.skip_snakemake, args.skip_dvc) if args.part in ("all", "dags") else None
    tools = ["paperflow"] + ([] if args.skip_snakemake else ["snakemake"]) + ([] if args.skip_dvc else ["dvc"])
    sizes = [10, 100] if args.quick else [10, 100, 500]
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d')}; snakemake {SNAKEMAKE_VERSION}, dvc {DVC_VERSION}")
    if args.part in ("all", "dags"):
        compare_tools(args, tools, sizes, paperflow, bin_dir)
    if args.part in ("all", "long") and not args.quick:
        long = paperflow_long_chain(paperflow)
        print(f"paperflow 10,000-step chain: plan {long['plan']:.2f} s, cold run {long['cold']:.1f} s "
              f"({long['per_step_ms']:.2f} ms/step), no-op {long['noop']:.2f} s; lock rewritten by no-op: "
              f"{long['lock_rewritten_by_noop']}; run-record lines per run: {long['run_record_lines']}")
    if args.part in ("all", "hash") and not args.quick:
        h = paperflow_hashing(paperflow)
        print(f"hashing {h['bytes'] / 2**30:.0f} GiB: paperflow first hash {h['paperflow_first_hash_s']:.2f} s "
              f"({h['paperflow_GBps']:.2f} GB/s); sha256sum {h['sha256sum_s']:.2f} s ({h['sha256sum_GBps']:.2f} GB/s); "
              f"python hashlib (OpenSSL) {h['hashlib_s']:.2f} s ({h['hashlib_GBps']:.2f} GB/s); cat {h['cat_s']:.2f} s; "
              f"run (copy into store) {h['ingest_run_s']:.2f} s; no-op run {h['noop_run_s']:.3f} s; "
              f"run after touch (rehash, cache hit) {h['run_after_touch_s']:.2f} s")


def compare_tools(args, tools, sizes, paperflow, bin_dir):
    results = {}
    print(f"{'shape':7} {'steps':>5} {'tool':10} {'cold s':>8} {'ms/step':>8} {'1st no-op s':>11} {'no-op s':>8} "
          f"{'no-op ratio':>12} {'step ratio':>11}")
    for shape in ["chain", "fanout"]:
        for n in sizes:
            measured = measure_all(tools, shape, n, paperflow, bin_dir)
            for tool in tools:
                results[(tool, shape, n)] = measured[tool]
            base = results[("paperflow", shape, n)]
            for tool in tools:
                r = results[(tool, shape, n)]
                if r is None:
                    print(f"{shape:7} {n:>5} {tool:10} {'failed':>8}")
                    continue
                noop_ratio = r["noop"] / base["noop"]
                step_ratio = r["per_step_ms"] / base["per_step_ms"]
                print(f"{shape:7} {n:>5} {tool:10} {r['cold']:8.2f} {r['per_step_ms']:8.1f} {r['first_noop']:11.3f} {r['noop']:8.3f} "
                      f"{noop_ratio:11.1f}x {step_ratio:10.1f}x", flush=True)
    # Marginal cost of one more executed step, free of start-up: (cold at largest - smallest) / steps.
    lo, hi = sizes[0], sizes[-1]
    for shape in ["chain", "fanout"]:
        parts = []
        for tool in tools:
            a, b = results.get((tool, shape, lo)), results.get((tool, shape, hi))
            if a and b:
                parts.append(f"{tool} {1000 * (b['cold'] - a['cold']) / (hi - lo):.1f} ms")
        print(f"marginal cost per executed step ({shape}, {lo}->{hi} steps): " + ", ".join(parts))


if __name__ == "__main__":
    main()
