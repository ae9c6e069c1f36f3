#!/usr/bin/env python3
"""GLM benchmark (issue 20): PPML with exporter-year, importer-year and pair fixed effects, and a
logit with firm and year fixed effects, by Paperflow's GLM engine and pyfixest 0.60 on the same
generated files (gen_glm.py: planted coefficients), each run a fresh process, interleaved.

  gravity: trade ~ rta + ltariff | exporter^year + importer^year + pair, clustered by pair
           (pyfixest: fepois, the combined effects integer-coded in pandas)
  firms:   export ~ x1 + x2 | firm + year, clustered by firm (pyfixest: feglm, family logit)

Usage: python3 Benchmarks/models/bench_glm.py [--sizes 1000000,5000000] [--repeat 3]
Installs pyfixest 0.60.0 into Benchmarks/models/.venv on first use and builds paperflow in
release mode. Each tool runs once to warm up (pyfixest's JIT), then --repeat times, the tools
alternating; medians are reported. Times run from reading the CSV to the last standard error.
The two tools' coefficients are compared: they must agree within 1e-6 relative where both
keep the same rows (pyfixest also drops singletons, which moves the estimate slightly; the
difference is printed, not asserted, when the row counts differ).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
SEED = "20261207"
MODELS = {
    "gravity": ("trade ~ rta + ltariff | exporter^year + importer^year + pair", "poisson", "pair"),
    "firms": ("export ~ x1 + x2 | firm + year", "logit", "firm"),
}

REFERENCE = r"""
import json, resource, sys, time
kind, path = sys.argv[1:3]
import pandas as pd, pyfixest as pf
start = time.perf_counter()
data = pd.read_csv(path)
if kind == "gravity":
    data["exp_year"] = data.exporter * 10000 + data.year
    data["imp_year"] = data.importer * 10000 + data.year
    fit = pf.fepois("trade ~ rta + ltariff | exp_year + imp_year + pair", data, vcov={"CRV1": "pair"}, fixef_rm="none")
else:
    fit = pf.feglm("export ~ x1 + x2 | firm + year", data, family="logit", vcov={"CRV1": "firm"}, fixef_rm="none")
coef, se = fit.coef().to_dict(), fit.se().to_dict()
print(json.dumps({"total_s": time.perf_counter() - start, "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "coef": coef, "se": se, "rows": int(fit._N)}))
"""


def run(cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def paperflow_run(paperflow, model, path, estimates):
    formula, family, cluster = MODELS[model]
    flags = ["--absorb"] if family != "poisson" else []
    out = json.loads(run([paperflow, "bench", "model", str(path), "--formula", formula, "--family", family,
                          "--cluster", cluster, "--estimates", str(estimates)] + flags))
    with open(estimates) as f:
        rows = {r["name"]: (float(r["estimate"]), float(r["se"])) for r in csv.DictReader(f)}
    out["coef"] = {name: value[0] for name, value in rows.items()}
    out["se"] = {name: value[1] for name, value in rows.items()}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not (VENV / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(VENV)])
        run([str(VENV / "bin" / "pip"), "install", "--quiet", "pyfixest==0.60.0", "statsmodels", "pandas"])
    run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "paperflow"])
    paperflow = str(Path(run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"]).strip()) / "paperflow")
    work = HERE / "work"
    work.mkdir(exist_ok=True)
    print(f"{os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; median of {args.repeat} after one warm-up, tools alternating", flush=True)
    results = {}
    for size in sizes:
        for model in MODELS:
            path = work / f"glm_{model}_{size}.csv"
            if not path.exists():
                print(f"generating {model} {size:,} rows ...", flush=True)
                run([str(VENV / "bin" / "python"), str(HERE / "gen_glm.py"), model, str(size), SEED, str(path)])
            runs = {"paperflow": [], "pyfixest": []}
            for attempt in range(args.repeat + 1):
                for tool in runs:
                    if tool == "paperflow":
                        out = paperflow_run(paperflow, model, path, work / f"estimates-glm-{model}-{size}.csv")
                    else:
                        out = json.loads(run([str(VENV / "bin" / "python"), "-c", REFERENCE, model, str(path)]))
                    if attempt > 0:
                        runs[tool].append(out)
            for tool, outs in runs.items():
                result = dict(outs[-1])
                result["total_s"] = statistics.median(r["total_s"] for r in outs)
                result["peak_memory_bytes"] = max(r["peak_memory_bytes"] for r in outs)
                results[(tool, model, size)] = result
                print(f"  {model:8} {size:>9,} {tool:10} {result['total_s']:7.2f} s {result['peak_memory_bytes'] / 2**30:5.2f} GiB "
                      f"rows {result['rows']:,}", flush=True)
    print()
    print(f"{'model':8} {'rows':>10} {'tool':10} {'wall s':>7} {'peak GiB':>8} {'× Paperflow':>11} {'max |Δcoef| rel':>16}")
    for (tool, model, size), r in results.items():
        base = results[("paperflow", model, size)]
        names = [n for n in r["coef"] if n in base["coef"]]
        difference = max(abs(r["coef"][n] - base["coef"][n]) / abs(base["coef"][n]) for n in names)
        print(f"{model:8} {size:>10,} {tool:10} {r['total_s']:7.2f} {r['peak_memory_bytes'] / 2**30:8.2f} "
              f"{r['total_s'] / base['total_s']:10.1f}x {difference:16.1e}")
    for (tool, model, size), r in results.items():
        if tool == "paperflow":
            phases = ", ".join(f"{k[:-2]} {v:.2f}" for k, v in r.items() if k.endswith("_s") and k != "total_s")
            print(f"paperflow {model} {size:,}: {phases}; {r.get('iterations')} IRLS steps")


if __name__ == "__main__":
    main()
