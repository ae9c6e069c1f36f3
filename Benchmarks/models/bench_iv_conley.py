#!/usr/bin/env python3
"""IV and Conley benchmark (issue 21): Paperflow's linear core against the tools a careful user
would run, on the same generated files, each run a fresh process, interleaved, medians.

  iv:     y ~ w | unit + year | x1 ~ z1 + z2 at 1M rows (100,000 units × 10 years, planted
          effects 0.5 and 1.0), SEs clustered by unit — pyfixest 0.60's feols with the same formula.
  conley: y ~ x1 + x2 at 1M points scattered over eastern China (planted 0.5 and −0.3, errors
          correlated over space), Conley SEs with a uniform 5 km cutoff — numpy/scipy as a careful
          user writes it: OLS by lstsq, the pairs within the cutoff by scipy's cKDTree on the unit
          sphere (chord radius for 5 km), their haversine distances, and the meat as two matrix
          products over the pair arrays. The reference's SEs are compared with Paperflow's.

Usage: python3 Benchmarks/models/bench_iv_conley.py [--rows 1000000] [--repeat 3]
Installs pyfixest 0.60.0 and scipy into Benchmarks/models/.venv on first use and builds paperflow
in release mode. Times run from reading the CSV to the last standard error.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"

GENERATE = r"""
import sys
import numpy as np, pandas as pd
kind, rows, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(20261207)
if kind == "iv":
    units = rows // 10
    unit = np.repeat(np.arange(units), 10); year = np.tile(np.arange(2000, 2010), units)
    a = rng.normal(size=units)[unit]; b = rng.normal(size=10)[year - 2000]
    w, z1, z2, common = (rng.normal(size=rows) for _ in range(4))
    x1 = 0.6 * z1 + 0.4 * z2 + 0.3 * w + a + 0.8 * common + rng.normal(size=rows)
    y = 0.5 * w + 1.0 * x1 + a + b + common + rng.normal(size=rows)
    frame = pd.DataFrame({"unit": unit, "year": year, "w": w, "z1": z1, "z2": z2, "x1": x1, "y": y})
else:
    lat = rng.uniform(22, 42, rows); lon = rng.uniform(105, 122, rows)
    centres = np.column_stack([rng.uniform(22, 42, 400), rng.uniform(105, 122, 400)])
    def field(scale):
        # A smooth field: the nearest of 400 random centres' values, blurred by noise.
        values = rng.normal(size=400)
        cell = ((lat - 22) // 1).astype(int) * 17 + ((lon - 105) // 1).astype(int)
        return values[cell % 400] * scale
    x1 = field(1.0) + rng.normal(size=rows); x2 = rng.normal(size=rows)
    y = 1 + 0.5 * x1 - 0.3 * x2 + field(2.0) + rng.normal(size=rows)
    frame = pd.DataFrame({"lat": lat, "lon": lon, "x1": x1, "x2": x2, "y": y})
frame.to_csv(path, index=False, float_format="%.10g")
"""

REFERENCE = r"""
import json, resource, sys, time
kind, path = sys.argv[1:3]
start = time.perf_counter()
import numpy as np, pandas as pd
data = pd.read_csv(path)
if kind == "iv":
    import pyfixest as pf
    fit = pf.feols("y ~ w | unit + year | x1 ~ z1 + z2", data, vcov={"CRV1": "unit"})
    coef, se = fit.coef().to_dict(), fit.se().to_dict()
else:
    from scipy.spatial import cKDTree
    X = np.column_stack([np.ones(len(data)), data.x1.to_numpy(), data.x2.to_numpy()])
    y = data.y.to_numpy()
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ b
    R, cutoff = 6371.01, 5.0
    lat, lon = np.radians(data.lat.to_numpy()), np.radians(data.lon.to_numpy())
    points = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    pairs = cKDTree(points).query_pairs(2 * np.sin(cutoff / R / 2) * (1 + 1e-9), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    a = np.sin((lat[j] - lat[i]) / 2) ** 2 + np.cos(lat[i]) * np.cos(lat[j]) * np.sin((lon[j] - lon[i]) / 2) ** 2
    keep = 2 * R * np.arcsin(np.minimum(1, np.sqrt(a))) <= cutoff
    i, j = i[keep], j[keep]
    s = X * e[:, None]
    meat = s.T @ s + s[i].T @ s[j] + s[j].T @ s[i]
    bread = np.linalg.inv(X.T @ X)
    V = bread @ meat @ bread
    names = ["(Intercept)", "x1", "x2"]
    coef, se = dict(zip(names, b)), dict(zip(names, np.sqrt(np.diag(V))))
print(json.dumps({"total_s": time.perf_counter() - start, "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "coef": coef, "se": se}))
"""

MODELS = {
    "iv": (["--formula", "y ~ w | unit + year | x1 ~ z1 + z2", "--family", "linear", "--cluster", "unit"]),
    "conley": (["--formula", "y ~ x1 + x2", "--family", "linear", "--conley", "lat,lon,5"]),
}


def run(cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def paperflow_run(paperflow, model, path, estimates):
    out = json.loads(run([paperflow, "bench", "model", str(path), "--estimates", str(estimates)] + MODELS[model]))
    with open(estimates) as f:
        rows = {r["name"]: (float(r["estimate"]), float(r["se"])) for r in csv.DictReader(f)}
    out["coef"] = {name: value[0] for name, value in rows.items()}
    out["se"] = {name: value[1] for name, value in rows.items()}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    python = VENV / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(VENV)])
        run([str(VENV / "bin" / "pip"), "install", "--quiet", "pyfixest==0.60.0", "scipy", "pandas"])
    run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "paperflow"])
    paperflow = str(Path(run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"]).strip()) / "paperflow")
    work = HERE / "work"
    work.mkdir(exist_ok=True)
    for model in MODELS:
        path = work / f"{model}_{args.rows}.csv"
        if not path.exists():
            run([str(python), "-c", GENERATE, model, str(args.rows), str(path)])
        estimates = work / f"estimates-{model}-{args.rows}.csv"
        # Warm-up (pyfixest's JIT, the page cache), then interleaved timed runs.
        run([str(python), "-c", REFERENCE, model, str(path)])
        paperflow_run(paperflow, model, path, estimates)
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(paperflow_run(paperflow, model, path, estimates))
            theirs.append(json.loads(run([str(python), "-c", REFERENCE, model, str(path)])))
        mine, ref = statistics.median(r["total_s"] for r in ours), statistics.median(r["total_s"] for r in theirs)
        worst = max(abs(ours[-1]["coef"][k] - v) / max(abs(v), 1e-12) for k, v in theirs[-1]["coef"].items())
        worst_se = max(abs(ours[-1]["se"][k] - v) / max(abs(v), 1e-12) for k, v in theirs[-1]["se"].items())
        print(f"{model} {args.rows:,} rows: paperflow {mine:.2f} s (peak {max(r['peak_memory_bytes'] for r in ours) / 2**30:.2f} GiB), "
              f"{'pyfixest' if model == 'iv' else 'numpy/scipy'} {ref:.2f} s (peak {max(r['peak_memory_bytes'] for r in theirs) / 2**30:.2f} GiB), "
              f"ratio {ref / mine:.2f}x; estimates differ by at most {worst:.1e}, SEs by {worst_se:.1e} (relative)")
        print("  paperflow runs:", [round(r["total_s"], 2) for r in ours], " reference runs:", [round(r["total_s"], 2) for r in theirs])


if __name__ == "__main__":
    main()
