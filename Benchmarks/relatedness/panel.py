#!/usr/bin/env python3
"""Firm-level relatedness density at customs scale (issue 25): Paperflow against the scipy.sparse
program a careful user writes, whole process each, on the same seeded panel, interleaved.

Panel (numpy, seeded): firms × 1,222 HS4 headings × 15 years; each firm-year exports
1 + Poisson(5) headings, 70% of them around the firm's core heading (normal, sd 60 headings)
and 30% anywhere, lognormal values; written as one CSV (firm, year, product as 4-digit text,
value) — about 89 rows per firm: 26.8 M rows and ~27 M cells ≥ 0.05 at 300,000 firms, the
issue's 27.1 M and 28.8 M.

Quantities, per year (Hidalgo et al. 2007, ecomplexity's conventions): RCA, presence
M = [RCA ≥ 1], C = MᵀM, φ = C / max(u_i, u_j) with φ_ii = 1 for a product someone has,
density D = Mφ / colsum(φ); the cells with D ≥ 0.05 (liu-zhu-2021 keeps density_firm > 0.05)
with their presence, written out.

  Paperflow: `paperflow run` of io.csv → relatedness.density (presence rca, min_density 0.05)
             on a fresh store: CSV parse, the density, the output table written and hashed.
  scipy:     pandas.read_csv (pyarrow engine, the codes as text), factorised ids, per year a csr
             matrix, RCA on its nonzeros, M, C = MᵀM dense (1,222²), φ, and D = Mφ / colsum in
             blocks of 10,000 firms (a dense block scaled in place and reduced to its cells
             ≥ 0.05 as it goes: never the year's whole firms × products array), the cells
             saved with numpy. Blocks of 10,000 and in-place scaling were the fastest of the
             variants tried at 100,000 firms (50,000 and a new array per product: 40 s; 2,000
             or 10,000 in place: 18.5–18.8 s), as a careful user would find.

`--cells` adds a third program: Paperflow's density of every firm × product × year cell the
regression needs (a `cells` table of (firm, year, product) triples: every product a firm exports
the next year), in bounded memory.

`--every-cell` adds, once per size after the rounds, Paperflow's density of every firm × product
cell of every year (no min_density): streamed to its file a range of firms at a time, so its
memory does not grow with the output (25 bytes a cell on disk: 13.8 GB at 30,000 firms, 46 GB at
100,000, 138 GB at 300,000). Printed: seconds, peak resident set, the output's size; its cells
≥ 0.05 + 1e-9 are checked equal to scipy's (count and sum), read from the file memory-mapped.
Where the disk has less room than the output, Paperflow refuses before writing, and its message
is printed instead.

Each size runs the programs in turn, `--rounds` times (default 3), interleaved; medians are
printed with the peak resident set (getrusage of the child). The two programs' cells are checked
equal at every size: the number of cells with density ≥ 0.05 + 1e-9 and their sum (to 1e-9
relative); a cell within 1e-9 of 0.05 may fall either side in either summation order, so the
printed totals (Paperflow / scipy) may differ by a few.

Usage: python3 Benchmarks/relatedness/panel.py [--firms 30000 100000 300000] [--rounds 3] [--cells] [--every-cell]
                                              [--workdir FOLDER] [--paperflow BUILT]
Uses Benchmarks/relatedness/.venv (numpy, scipy, pandas, pyarrow installed into it; common.py).
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, build_paperflow, venv
CODES = ROOT / "Sources/PaperflowStages/Trade/HS/hs2007_codes.csv"

WORKFLOW = """workflow: panel
stages:
  exports: {uses: io.csv@2, with: {path: data/exports.csv, schema: {product: string}}}
  density:
    uses: relatedness.density@1
    inputs: {table: exports.table}
    with: {unit: firm, year: year, presence: rca, min_density: 0.05}
"""

CELLS_WORKFLOW = """workflow: cells
stages:
  exports: {uses: io.csv@2, with: {path: data/exports.csv, schema: {product: string}}}
  wanted: {uses: io.csv@2, with: {path: data/cells.csv, schema: {product: string}}}
  density:
    uses: relatedness.density@1
    inputs: {table: exports.table, cells: wanted.table}
    with: {unit: firm, year: year, presence: rca}
"""

MEASURE = "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); " \
          "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)"

GENERATE = r"""
import sys, numpy as np, pandas as pd
firms, years, out, codes = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], np.array(sys.argv[4].split(","))
rng = np.random.default_rng(20261206)
n = len(codes)
home = rng.integers(0, n, firms)
frames = []
for year in range(2002, 2002 + years):
    k = 1 + rng.poisson(5, firms)
    firm = np.repeat(np.arange(firms), k)
    product = (home[firm] + np.rint(rng.normal(0, 60, firm.size)).astype(np.int64)) % n
    elsewhere = rng.random(firm.size) < 0.3
    product[elsewhere] = rng.integers(0, n, int(elsewhere.sum()))
    frame = pd.DataFrame({"firm": firm, "year": year, "product": product}).drop_duplicates(["firm", "product"])
    frames.append(frame)
panel = pd.concat(frames, ignore_index=True)
panel["value"] = np.round(rng.lognormal(10, 1.5, len(panel)), 2)
panel.assign(product=codes[panel["product"].to_numpy()]).to_csv(out + "/data/exports.csv", index=False)
if len(sys.argv) > 5:
    # The regression's cells: (firm, year t, product) for every product the firm exports in t + 1.
    nxt = panel[panel.year > 2002][["firm", "year", "product"]].copy()
    nxt["year"] -= 1
    nxt.assign(product=codes[nxt["product"].to_numpy()]).to_csv(out + "/data/cells.csv", index=False)
print(len(panel))
"""

SCIPY = r"""
import sys, numpy as np, pandas as pd, scipy.sparse as sp
path, out = sys.argv[1], sys.argv[2]
frame = pd.read_csv(path, engine="pyarrow", dtype={"firm": "int64", "year": "int64", "product": "string[pyarrow]", "value": "float64"})
firm_ids, firms = pd.factorize(frame["firm"], sort=True)
product_ids, products = pd.factorize(frame["product"], sort=True)
years = frame["year"].to_numpy(); values = frame["value"].to_numpy()
F, n = len(firms), len(products)
order = np.argsort(years, kind="stable")
bounds = np.flatnonzero(np.diff(years[order])) + 1
parts = {"firm": [], "year": [], "product": [], "presence": [], "density": []}
block = 10_000
for rows in np.split(order, bounds):
    year = years[rows[0]]
    X = sp.csr_matrix((values[rows], (firm_ids[rows], product_ids[rows])), shape=(F, n))
    unit_total = np.asarray(X.sum(1)).ravel(); product_total = np.asarray(X.sum(0)).ravel(); total = X.data.sum()
    r = np.repeat(np.arange(F), np.diff(X.indptr))
    rca = X.data / unit_total[r] / (product_total[X.indices] / total)
    M = sp.csr_matrix(((rca >= 1).astype(np.float64), X.indices, X.indptr), shape=(F, n)); M.eliminate_zeros()
    C = (M.T @ M).toarray()
    u = np.diag(C).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(np.maximum.outer(u, u) > 0, C / np.maximum.outer(u, u), 0.0)
    np.fill_diagonal(phi, (u > 0).astype(np.float64))
    colsum = phi.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(colsum > 0, 1.0 / colsum, np.nan)
    for start in range(0, F, block):
        Mb = M[start:start + block]
        D = Mb @ phi
        D *= inverse
        fi, pi = np.nonzero(D >= 0.05)
        parts["firm"].append(firms[fi + start]); parts["year"].append(np.full(fi.size, year)); parts["product"].append(pi)
        parts["presence"].append(Mb.astype(bool).toarray()[fi, pi]); parts["density"].append(D[fi, pi])
cells = {k: np.concatenate(v) for k, v in parts.items()}
np.savez(out, **cells)
clear = cells["density"] >= 0.05 + 1e-9
print(cells["density"].size, int(clear.sum()), repr(float(cells["density"][clear].sum())))
"""

# The same stages with every cell: no min_density.
EVERY_WORKFLOW = WORKFLOW.replace("workflow: panel", "workflow: every").replace(", min_density: 0.05", "")
assert "min_density" not in EVERY_WORKFLOW

# Rows, and the count and sum of densities ≥ 0.05 + 1e-9, of a .pftable's density column, read
# memory-mapped a slice at a time (the file is larger than memory).
CHECK_EVERY = r"""
import sys, json, struct, numpy as np
path = sys.argv[1]
with open(path, "rb") as f:
    assert f.read(8) == b"PFTABLE1"
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
rows = header["rows"]
column = next(c for c in header["columns"] if c["name"] == "density")
offset, length = column["buffers"][0]
values = np.memmap(path, dtype="<f8", mode="r", offset=offset, shape=(rows,))
if column["hasValidity"]:
    words = np.memmap(path, dtype="<u8", mode="r", offset=column["buffers"][1][0], shape=((rows + 63) // 64,))
count, total, step = 0, 0.0, 1 << 26
for start in range(0, rows, step):
    chunk = np.asarray(values[start:start + step])
    keep = chunk >= 0.05 + 1e-9
    if column["hasValidity"]:
        w = np.asarray(words[start // 64:(start + chunk.size + 63) // 64])
        bits = np.unpackbits(w.view(np.uint8), bitorder="little")[:chunk.size].astype(bool)
        keep &= bits
    count += int(keep.sum()); total += float(chunk[keep].sum())
print(rows, count, repr(total))
"""

CHECK = r"""
import sys, numpy as np, pandas as pd
table = pd.read_csv(sys.stdin)
clear = table["density"] >= 0.05 + 1e-9
print(len(table), int(clear.sum()), repr(float(table["density"][clear].sum())))
"""


def measured(python, command, **kwargs):
    """Wall seconds, peak RSS in GiB, and stdout of `command`."""
    start = time.perf_counter()
    result = subprocess.run([str(python), "-c", MEASURE] + command, capture_output=True, text=True, **kwargs)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stdout}\n{result.stderr}")
    return seconds, int(result.stderr.strip().splitlines()[-1]) / 2**20, result.stdout


def fresh_store(work):
    shutil.rmtree(work / "Artifacts", ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, nargs="+", default=[30_000, 100_000, 300_000])
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cells", action="store_true")
    parser.add_argument("--every-cell", action="store_true")
    parser.add_argument("--workdir", help="where each size's project is made (default: the system's temporary folder)")
    parser.add_argument("--paperflow", help="a built paperflow (default: build release here)")
    args = parser.parse_args()
    python = venv(["numpy", "scipy", "pandas", "pyarrow"])
    paperflow = Path(args.paperflow) if args.paperflow else build_paperflow()
    codes = [line.split(",")[0] for line in CODES.read_text().splitlines()[1:] if line.split(",")[1] == "4"]
    assert len(codes) == 1222
    print(f"{'firms':>8} {'rows':>11} | {'paperflow':>9} {'GiB':>5} | {'scipy':>8} {'GiB':>5} | ratio | cells"
          + (f" | {'cells: table':>12} {'GiB':>5}" if args.cells else ""), flush=True)
    for firms in args.firms:
        work = Path(tempfile.mkdtemp(prefix="paperflow-panel-", dir=args.workdir))
        (work / "data").mkdir()
        (work / "Workflows").mkdir()
        (work / "Workflows/panel.yaml").write_text(WORKFLOW)
        (work / "Workflows/cells.yaml").write_text(CELLS_WORKFLOW)
        (work / "Workflows/every.yaml").write_text(EVERY_WORKFLOW)
        generate = [str(python), "-c", GENERATE, str(firms), str(args.years), str(work), ",".join(codes)] + (["cells"] if args.cells else [])
        rows = int(subprocess.run(generate, check=True, capture_output=True, text=True).stdout.split()[0])
        ours, theirs, mine, cell_runs = [], [], [], []
        for _ in range(args.rounds):
            fresh_store(work)
            seconds, memory, _ = measured(python, [str(paperflow), "run", "Workflows/panel.yaml", "--quiet"], cwd=work)
            ours.append((seconds, memory))
            seconds, memory, output = measured(python, [str(python), "-c", SCIPY, str(work / "data/exports.csv"), str(work / "scipy.npz")])
            theirs.append((seconds, memory))
            count, clear, total = output.split()
            if args.cells:
                fresh_store(work)
                cell_runs.append(measured(python, [str(paperflow), "run", "Workflows/cells.yaml", "--quiet"], cwd=work)[:2])
                fresh_store(work)
        # The same cells: count and the sum of densities.
        subprocess.run([str(paperflow), "run", "Workflows/panel.yaml", "--quiet"], cwd=work, check=True)
        shown = subprocess.run([str(paperflow), "show", "Workflows/panel.yaml", "density.table"], cwd=work, check=True,
                               capture_output=True).stdout
        mine = subprocess.run([str(python), "-c", CHECK], input=shown, capture_output=True, check=True).stdout.decode().split()
        # Cells at 0.05 to the last bits may fall either side in either program's summation order:
        # compared are those clear of it by 1e-9, their count and their sum.
        assert mine[1] == clear, f"cells ≥ 0.05 + 1e-9: Paperflow {mine[1]}, scipy {clear}"
        assert abs(float(mine[2]) - float(total)) <= 1e-9 * abs(float(total)), f"density sums: {mine[2]} vs {total}"
        p = statistics.median(s for s, _ in ours); pm = max(m for _, m in ours)
        s = statistics.median(s for s, _ in theirs); sm = max(m for _, m in theirs)
        line = f"{firms:>8} {rows:>11,} | {p:>8.2f}s {pm:>5.2f} | {s:>7.2f}s {sm:>5.2f} | {s / p:>4.2f}× | {int(mine[0]):,} / {int(count):,}"
        if cell_runs:
            line += f" | {statistics.median(c for c, _ in cell_runs):>11.2f}s {max(m for _, m in cell_runs):>5.2f}"
        print(line, flush=True)
        if args.every_cell:
            fresh_store(work)
            start = time.perf_counter()
            result = subprocess.run([str(python), "-c", MEASURE, str(paperflow), "run", "Workflows/every.yaml", "--quiet"], cwd=work,
                                    capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if result.returncode != 0:
                refusal = next((l for l in result.stderr.splitlines() if "FAILED" in l), result.stderr.strip())
                print(f"{'':>8} every cell: refused after {seconds:.2f} s: {refusal.strip()}", flush=True)
            else:
                memory = int(result.stderr.strip().splitlines()[-1]) / 2**20
                output = work / "Artifacts/every/density/density.pftable"
                size = output.stat().st_size
                total_rows, every_clear, every_total = subprocess.run([str(python), "-c", CHECK_EVERY, str(output)], check=True,
                                                                      capture_output=True, text=True).stdout.split()
                assert every_clear == clear, f"every cell ≥ 0.05 + 1e-9: Paperflow {every_clear}, scipy {clear}"
                assert abs(float(every_total) - float(total)) <= 1e-9 * abs(float(total)), f"density sums: {every_total} vs {total}"
                print(f"{'':>8} every cell: {seconds:.2f} s, peak {memory:.2f} GiB, {int(total_rows):,} cells, "
                      f"{size / 1e9:.1f} GB written (cells ≥ 0.05 equal to scipy's)", flush=True)
            fresh_store(work)
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
