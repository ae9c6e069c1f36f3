#!/usr/bin/env python3
"""Firm-level relatedness benchmark (issue 5): liu-zhu-2021's quantities on a generated customs
panel — firms × 1,222 HS2007 headings × years — by Paperflow and by a plain scipy.sparse
implementation, in one run, at several panel sizes (cost should be linear in firms).

Quantities, per year: presence E (firm exports the heading), co-export proximity
phi = C / max(u_i, u_j) with C = EᵀE and u its diagonal (phi_ii = 1), firm import density
D_f = I_f · phi / colsum(phi) with I the firm's imports, city import density from the city's
imports (any firm in the city imports the heading). Cells of interest: density ≥ 0.05
(liu-zhu keep density_firm > 0.05); every city cell is kept.

  scipy:     the arrays in memory (generation not timed); per year csr matrices, C = EᵀE dense,
             D = I @ phi (dense firms × products, as scipy returns it), cells ≥ 0.05 counted.
  Paperflow: `paperflow run` of io.csv → relatedness.proximity, relatedness.density (own
             imports, min_density 0.05), trade.aggregate (imports to cities),
             relatedness.density (city imports), fresh store, CSV reading included; the
             stages' own seconds are read from the run record as well.

Peak memory is the child's maximum resident set (getrusage). ecomplexity is not run here: its
firm-level figures (20,000 firms × 1 year: 413 s, 5.9 GiB; 300,000 × 15: killed at 20 GiB) are
in the issue, and it grows with the square of the number of firms.

Usage: python3 Benchmarks/relatedness/firms.py [--firms 30000 100000 300000] [--years 15]
Uses Benchmarks/relatedness/.venv (numpy, pandas, scipy; made by bench.py or here).
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
CODES = ROOT / "Sources/PaperflowStages/Trade/HS/hs2007_codes.csv"

WORKFLOW = """workflow: firms
stages:
  exports: {uses: io.csv@2, with: {path: data/exports.csv, schema: {product: string}}}
  imports: {uses: io.csv@2, with: {path: data/imports.csv, schema: {product: string}}}
  proximity: {uses: relatedness.proximity@1, inputs: {table: exports.table}, with: {unit: firm, year: year, presence: positive}}
  firm_density:
    uses: relatedness.density@1
    inputs: {table: exports.table, presence: imports.table}
    with: {unit: firm, year: year, presence: positive, min_density: 0.05}
  city_imports: {uses: trade.aggregate@1, inputs: {records: imports.table}, with: {unit: city, year: year}}
  city_density:
    uses: relatedness.density@1
    inputs: {table: exports.table, presence: city_imports.table}
    with: {unit: firm, presence_unit: city, year: year, presence: positive}
"""

# Runs a command and prints its peak resident set (KiB) on the last line of stderr.
MEASURE = "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); " \
          "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)"

GENERATE = r"""
import sys, numpy as np, pandas as pd
firms, years, out, codes = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")
rng = np.random.default_rng(20210301)
n = len(codes)
home = rng.integers(0, n, firms)             # a firm's core heading: its products cluster around it
city = rng.integers(0, 300, firms)
def draw(centre_shift):
    rows = []
    for year in range(2002, 2002 + years):
        k = 1 + rng.poisson(4, firms)
        firm = np.repeat(np.arange(firms), k)
        product = (home[firm] + centre_shift + np.rint(rng.normal(0, 25, firm.size)).astype(int)) % n
        frame = pd.DataFrame({"firm": firm, "year": year, "product": product})
        rows.append(frame.drop_duplicates(["firm", "product"]))
    frame = pd.concat(rows, ignore_index=True)
    frame["value"] = np.round(rng.lognormal(10, 1.5, len(frame)), 2)
    return frame
exports, imports = draw(0), draw(40)
imports.insert(1, "city", city[imports["firm"].to_numpy()])
np.savez(out + "/panel.npz", ef=exports.firm, ey=exports.year, ep=exports["product"], if_=imports.firm, ic=imports.city,
         iy=imports.year, ip=imports["product"])
names = np.array(codes)
exports.assign(product=names[exports["product"]]).to_csv(out + "/data/exports.csv", index=False)
imports.assign(product=names[imports["product"]]).to_csv(out + "/data/imports.csv", index=False)
print(len(exports), len(imports))
"""

SCIPY = r"""
import sys, time, numpy as np, scipy.sparse as sp
d = np.load(sys.argv[1] + "/panel.npz"); n = int(sys.argv[2]); firms = int(sys.argv[3])
start = time.perf_counter()
cells = 0
for year in np.unique(d["ey"]):
    e = d["ey"] == year; i = d["iy"] == year
    E = sp.csr_matrix((np.ones(e.sum()), (d["ef"][e], d["ep"][e])), shape=(firms, n))
    C = (E.T @ E).toarray()
    u = np.diag(C).copy()
    phi = C / np.maximum.outer(u, u).clip(min=1)
    np.fill_diagonal(phi, (u > 0).astype(float))
    colsum = phi.sum(0); colsum[colsum == 0] = np.nan
    I = sp.csr_matrix((np.ones(i.sum()), (d["if_"][i], d["ip"][i])), shape=(firms, n))
    I.data[:] = 1
    D = (I @ phi) / colsum
    cells += int((D >= 0.05).sum())
    Ic = sp.csr_matrix((np.ones(i.sum()), (d["ic"][i], d["ip"][i])), shape=(300, n)); Ic.data[:] = 1
    Dc = (Ic @ phi) / colsum
    cells += Dc.size
print(f"{time.perf_counter() - start:.3f} {cells}")
"""


def ensure_venv():
    python = VENV / "bin/python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "ecomplexity==0.5.3", "scipy"], check=True)
    return python


def build_paperflow():
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "paperflow"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    return Path(path) / "paperflow"


def measured(python, command, **kwargs):
    """Wall seconds, peak RSS in GiB, and stdout of `command`."""
    start = time.perf_counter()
    result = subprocess.run([str(python), "-c", MEASURE] + command,
                            capture_output=True, text=True, **kwargs)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stdout}\n{result.stderr}")
    return seconds, int(result.stderr.strip().splitlines()[-1]) / 2**20, result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, nargs="+", default=[30_000, 100_000, 300_000])
    parser.add_argument("--years", type=int, default=15)
    args = parser.parse_args()
    python, paperflow = ensure_venv(), build_paperflow()
    codes = [line.split(",")[0] for line in CODES.read_text().splitlines()[1:] if line.split(",")[1] == "4"]
    assert len(codes) == 1222
    print(f"{'firms':>8} {'rows':>11} | {'paperflow':>9} {'stages':>7} {'GiB':>5} | {'scipy':>7} {'GiB':>5} | ratio")
    for firms in args.firms:
        work = Path(tempfile.mkdtemp(prefix="paperflow-firms-"))
        (work / "data").mkdir()
        (work / "Workflows").mkdir()
        (work / "Workflows/firms.yaml").write_text(WORKFLOW)
        rows = subprocess.run([str(python), "-c", GENERATE, str(firms), str(args.years), str(work), ",".join(codes)],
                              check=True, capture_output=True, text=True).stdout.split()
        seconds, memory, _ = measured(python, [str(paperflow), "run", "Workflows/firms.yaml"], cwd=work)
        record = next((work / "Artifacts/runs").glob("*.jsonl"))
        stage_seconds = sum(json.loads(line).get("seconds", 0) for line in record.read_text().splitlines()
                            if json.loads(line).get("stage") in {"proximity", "firm_density", "city_imports", "city_density"})
        _, scipy_memory, output = measured(python, [str(python), "-c", SCIPY, str(work), str(len(codes)), str(firms)])
        scipy_seconds = float(output.split()[0])
        print(f"{firms:>8} {int(rows[0]) + int(rows[1]):>11} | {seconds:>8.1f}s {stage_seconds:>6.1f}s {memory:>5.2f} | "
              f"{scipy_seconds:>6.1f}s {scipy_memory:>5.2f} | {scipy_seconds / seconds:.2f}× (end to end), "
              f"{scipy_seconds / stage_seconds:.2f}× (stages)", flush=True)
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
