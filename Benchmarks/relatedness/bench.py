#!/usr/bin/env python3
"""Relatedness benchmark (issue 5), world data: the 226-country × 785-product SITC trade table
(../shared fixture, copied to Tests/Fixtures/complexity) through RCA, ECI/PCI, proximity and
density, by ecomplexity 0.5.3 and by Paperflow, each a fresh process from reading the CSV to
writing the results.

  ecomplexity: python -c "read_csv; ecomplexity(...); proximity(...)"; the cells to CSV, the
               proximity pickled (binary, as Paperflow keeps it)
  Paperflow:   paperflow run on a workflow of io.csv → relatedness.rca, complexity.eci-pci,
               relatedness.proximity, relatedness.density (fresh store each time, so every
               stage runs; the run also writes its report)

Usage: python3 Benchmarks/relatedness/bench.py [--repeat 3]
Installs ecomplexity 0.5.3 into Benchmarks/relatedness/.venv (shared with panel.py: common.py) and
builds paperflow in release mode. One warm-up run per tool, then --repeat; medians reported. Checks that both give
the same ECI (1e-9 relative) before timing.
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, build_paperflow, venv
DATA = ROOT / "Tests/Fixtures/complexity/world_trade_avg_1998_to_2000.csv"

ECOMPLEXITY = r"""
import sys, time
start = time.perf_counter()
import pandas as pd
from ecomplexity import ecomplexity, proximity
data = pd.read_csv(sys.argv[1], dtype={"product": str})
data["year"] = 2000
cols = {"time": "year", "loc": "country", "prod": "product", "val": "value"}
out = ecomplexity(data, cols)
prox = proximity(data, cols)
out.to_csv(sys.argv[2] + "/cells.csv", index=False)
prox.to_pickle(sys.argv[2] + "/proximity.pkl")  # binary, as Paperflow stores it
print(f"compute {time.perf_counter() - start:.3f}", file=sys.stderr)
"""

WORKFLOW = """workflow: world
stages:
  trade: {uses: io.csv@2, with: {path: data/world.csv}}
  rca: {uses: relatedness.rca@1, inputs: {table: trade.table}, with: {unit: country}}
  complexity: {uses: complexity.eci-pci@1, inputs: {table: trade.table}, with: {unit: country}}
  proximity: {uses: relatedness.proximity@1, inputs: {table: trade.table}, with: {unit: country}}
  density: {uses: relatedness.density@1, inputs: {table: trade.table}, with: {unit: country}}
  export_eci: {uses: io.table-csv@1, inputs: {table: complexity.units}}
  export_density: {uses: io.table-csv@1, inputs: {table: density.table}}
"""


def timed(command, **kwargs):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    python, paperflow = venv(["ecomplexity==0.5.3"]), build_paperflow()
    work = Path(tempfile.mkdtemp(prefix="paperflow-relatedness-"))
    (work / "data").mkdir()
    (work / "Workflows").mkdir()
    shutil.copy(DATA, work / "data/world.csv")
    (work / "Workflows/world.yaml").write_text(WORKFLOW)
    out = work / "ecx"
    out.mkdir()

    def run_paperflow():
        shutil.rmtree(work / "Artifacts", ignore_errors=True)
        return timed([str(paperflow), "run", "Workflows/world.yaml"], cwd=work)

    def run_ecomplexity():
        return timed([str(python), "-c", ECOMPLEXITY, str(work / "data/world.csv"), str(out)])

    # Same answers first: ECI by country.
    run_paperflow()
    run_ecomplexity()
    ours = {r["country"]: float(r["eci"]) for r in csv.DictReader(open(work / "Artifacts/world/export_eci/table.csv"))}
    theirs = {}
    for r in csv.DictReader(open(out / "cells.csv")):
        theirs.setdefault(r["country"], float(r["eci"]))
    worst = max(abs(ours[c] - theirs[c]) / abs(theirs[c]) for c in theirs)
    assert worst < 1e-9, f"ECI differs: {worst}"
    print(f"ECI agrees with ecomplexity to {worst:.1e} (relative) for {len(theirs)} countries")

    results = {}
    for name, run in [("paperflow", run_paperflow), ("ecomplexity 0.5.3", run_ecomplexity)]:
        times = [run() for _ in range(args.repeat)]
        results[name] = statistics.median(times)
        print(f"{name:18s} median {results[name]:.3f} s  ({', '.join(f'{t:.3f}' for t in times)})")
    print(f"ratio ecomplexity / paperflow: {results['ecomplexity 0.5.3'] / results['paperflow']:.1f}×  (target ≥ 5×)")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
