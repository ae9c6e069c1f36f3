#!/usr/bin/env python3
"""Model benchmark (issue 4): liu-zhu-2021's model (4) fitted by Paperflow and by the reference
tools on the same generated files, each run a fresh process.

  M1 probit: export ~ density_firm*density_city + ln_tradevalue + ln_newexport | year + hs2,
             SEs clustered by firm; Paperflow also computes the interaction-aware AMEs with
             delta-method SEs (pyfixest has no AMEs; statsmodels' need a K×N×K array).
  M3 LPM:    the same right-hand side | firm + product + year, clustered by firm.

Usage: python3 Benchmarks/models/bench.py [--sizes 1000000,5000000] [--repeat 3] [--statsmodels]
Makes the data with gen_m1.py (the shared generator, seed 20240601, as the reference figures),
installs pyfixest 0.60.0 and statsmodels into Benchmarks/models/.venv on first use, builds
paperflow in release mode. Every tool runs once to warm up, then --repeat times; medians are
reported. Times run from reading the CSV to the last estimate (interpreter start and imports not
counted; pyfixest's JIT compilation is). statsmodels' probit with dummies runs once at 1M rows
with --statsmodels (40 s; 145 s and 14 GiB at 5M).
At 1M rows the estimates are checked against the shared references (reference/): LPM
coefficients within 1e-8 relative, probit coefficients, clustered SEs and AMEs within 1e-6.
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
SEED = "20240601"
RHS = "density_firm*density_city + ln_tradevalue + ln_newexport"
MODELS = {
    "probit": (f"export ~ {RHS} | year + hs2", ["--family", "probit", "--ame"]),
    "lpm": (f"export ~ {RHS} | firm + product + year", ["--family", "lpm"]),
}

REFERENCE = r"""
import json, resource, sys, time
tool, model, path, formula = sys.argv[1:5]
import pandas as pd
if tool == "pyfixest":
    import pyfixest as pf
else:
    import statsmodels.formula.api as smf
start = time.perf_counter()
data = pd.read_csv(path)
if tool == "pyfixest" and model == "probit":
    fit = pf.feglm(formula, data=data, family="probit", vcov={"CRV1": "firm"})
elif tool == "pyfixest":
    fit = pf.feols(formula, data=data, vcov={"CRV1": "firm"})
else:
    rhs, fes = formula.split("~")[1].split("|")
    dummies = " + ".join(f"C({fe.strip()})" for fe in fes.split("+"))
    fit = smf.probit(f"export ~ {rhs} + {dummies}", data).fit(cov_type="cluster", cov_kwds={"groups": data["firm"]}, disp=0)
if tool == "pyfixest":
    coef, se = fit.coef().to_dict(), fit.se().to_dict()
else:
    coef, se = fit.params.to_dict(), fit.bse.to_dict()
total = time.perf_counter() - start
print(json.dumps({"total_s": total, "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "coef": coef, "se": se}))
"""


def run(cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def paperflow_run(paperflow, model, path, estimates):
    formula, flags = MODELS[model]
    out = json.loads(run([paperflow, "bench", "model", str(path), "--formula", formula, "--cluster", "firm",
                          "--estimates", str(estimates)] + flags))
    with open(estimates) as f:
        rows = {r["name"]: (float(r["estimate"]), float(r["se"])) for r in csv.DictReader(f)}
    out["coef"] = {name: value[0] for name, value in rows.items()}
    out["se"] = {name: value[1] for name, value in rows.items()}
    return out


def relative(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def check_1m(results):
    """The 1M-row estimates against the shared references; returns printable lines."""
    lines = []
    lpm = results.get(("paperflow", "lpm", 1_000_000))
    if lpm:
        with open(HERE / "reference" / "m3_lpm_1M_reference.csv") as f:
            worst = max(relative(lpm["coef"][r["name"]], float(r["coef_pyfixest_tight"])) for r in csv.DictReader(f))
        lines.append(f"LPM 1M coefficients vs reference-1M/m3_lpm_1M_reference.csv: worst relative {worst:.1e} "
                     f"({'OK' if worst < 1e-8 else 'FAIL'}, 1e-8)")
        assert worst < 1e-8
    probit = results.get(("paperflow", "probit", 1_000_000))
    if probit:
        se_key = "se|cluster_expected_x_G/(G-1)*(N-1)/(N-K)"
        with open(HERE / "reference" / "m1_probit_1M_numpy_coef.csv") as f:
            rows = list(csv.DictReader(f))
        name = lambda n: "(Intercept)" if n == "intercept" else n
        worst_coef = max(relative(probit["coef"][name(r["name"])], float(r["coef"])) for r in rows)
        worst_se = max(relative(probit["se"][name(r["name"])], float(r[se_key])) for r in rows)
        with open(HERE / "reference" / "m1_probit_1M_numpy_ame_interaction_aware.csv") as f:
            ames = list(csv.DictReader(f))
        worst_ame = max(max(relative(probit["coef"]["AME " + r["name"]], float(r["ame_interaction_aware"])),
                            relative(probit["se"]["AME " + r["name"]], float(r["se|interaction_aware|" + se_key[3:]])))
                        for r in ames)
        lines.append(f"probit 1M vs the numpy reference: coefficients {worst_coef:.1e}, firm-clustered SEs (fixest) "
                     f"{worst_se:.1e}, AMEs and their SEs {worst_ame:.1e} ({'OK' if max(worst_coef, worst_se, worst_ame) < 1e-6 else 'FAIL'}, 1e-6)")
        assert max(worst_coef, worst_se, worst_ame) < 1e-6
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--statsmodels", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not (VENV / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(VENV)])
        run([str(VENV / "bin" / "pip"), "install", "--quiet", "pyfixest==0.60.0", "statsmodels", "pandas"])
    run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "paperflow"])
    paperflow = str(Path(run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"]).strip()) / "paperflow")
    work = HERE / "work"
    work.mkdir(exist_ok=True)
    print(f"{os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; median of {args.repeat} after one warm-up", flush=True)
    results = {}
    for size in sizes:
        path = work / f"m1_{size}.csv"
        if not path.exists():
            print(f"generating {size:,} rows ...", flush=True)
            run([str(VENV / "bin" / "python"), str(HERE / "gen_m1.py"), str(size), SEED, str(path)])
        for model in MODELS:
            tools = ["paperflow", "pyfixest"] + (["statsmodels"] if args.statsmodels and model == "probit" and size == 1_000_000 else [])
            for tool in tools:
                runs = []
                repeats = 1 if tool == "statsmodels" else args.repeat + 1
                for attempt in range(repeats):
                    if tool == "paperflow":
                        out = paperflow_run(paperflow, model, path, work / f"estimates-{model}-{size}.csv")
                    else:
                        out = json.loads(run([str(VENV / "bin" / "python"), "-c", REFERENCE, tool, model, str(path), MODELS[model][0]]))
                    if attempt > 0 or repeats == 1:
                        runs.append(out)
                result = dict(runs[-1])
                result["total_s"] = statistics.median(r["total_s"] for r in runs)
                result["peak_memory_bytes"] = max(r["peak_memory_bytes"] for r in runs)
                results[(tool, model, size)] = result
                print(f"  {model:6} {size:>9,} {tool:11} {result['total_s']:7.2f} s {result['peak_memory_bytes'] / 2**30:5.2f} GiB", flush=True)
    print()
    print(f"{'model':7} {'rows':>10} {'tool':11} {'wall s':>7} {'peak GiB':>8} {'× Paperflow':>11} {'max |Δcoef| rel':>16}")
    for (tool, model, size), r in results.items():
        base = results[("paperflow", model, size)]
        shared = [n for n in ("density_firm", "density_city", "density_firm:density_city", "ln_tradevalue", "ln_newexport") if n in r["coef"]]
        difference = max(relative(r["coef"][n], base["coef"][n]) for n in shared)
        print(f"{model:7} {size:>10,} {tool:11} {r['total_s']:7.2f} {r['peak_memory_bytes'] / 2**30:8.2f} "
              f"{r['total_s'] / base['total_s']:10.1f}x {difference:16.1e}")
    for (tool, model, size), r in results.items():
        if tool == "paperflow":
            phases = ", ".join(f"{k[:-2]} {v:.2f}" for k, v in r.items() if k.endswith("_s") and k != "total_s")
            print(f"paperflow {model} {size:,}: {phases}")
    for line in check_1m(results):
        print(line)


if __name__ == "__main__":
    main()
