#!/usr/bin/env python3
"""Data benchmark (issue 3): Paperflow's CSV reader, binary table format and group-by against
pandas, pyarrow, polars and DuckDB on the same generated file, each tool a fresh process.

Usage: python3 Benchmarks/data/bench.py [ROWS]   (default 10,000,000; the issue's figures)
Installs the references into Benchmarks/data/.venv on first use; builds paperflow in release mode.
Each tool runs once to warm up, then three times; the median is reported.
Prints each tool's read time and peak memory, whether HS codes kept their leading zeros, and
the ratios to Paperflow.
"""
import json
import os
import statistics
import sys
import time

from common import PYTHON, WORK, prepare, run, trade_csv

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000

REFERENCE = r"""
import json, resource, sys, time
tool, path = sys.argv[1], sys.argv[2]
# Import first: the timer measures reading, as Paperflow's does (process start not included).
if tool == "pandas": import pandas as pd
elif tool == "pyarrow": import pyarrow.csv as pc
elif tool == "polars": import polars as pl
else: import duckdb
t = time.perf_counter()
if tool == "pandas":
    df = pd.read_csv(path); zeros = df["hs6"].astype(str).str.len().min() == 6 and df["hs6"].dtype == object
    group = lambda: df.groupby(["city", "year"])["value"].sum()
elif tool == "pyarrow":
    df = pc.read_csv(path); zeros = str(df.schema.field("hs6").type) == "string"
    group = lambda: df.group_by(["city", "year"]).aggregate([("value", "sum")])
elif tool == "polars":
    df = pl.read_csv(path); zeros = df.schema["hs6"] == pl.Utf8
    group = lambda: df.group_by(["city", "year"]).agg(pl.col("value").sum())
else:
    con = duckdb.connect(); con.execute("set enable_progress_bar = false"); con.execute(f"create table t as select * from read_csv_auto('{path}')")
    zeros = con.execute("select typeof(hs6) from t limit 1").fetchone()[0] == "VARCHAR"
    group = lambda: con.execute("select city, year, sum(value) from t group by city, year").fetchall()
read = time.perf_counter() - t
t = time.perf_counter(); group(); grouped = time.perf_counter() - t
print(json.dumps({"csv_read_s": read, "group_sum_s": grouped, "hs6_kept_zeros": bool(zeros),
                  "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def main():
    paperflow = prepare(["pandas", "pyarrow", "polars", "duckdb"])
    path = trade_csv(ROWS)
    work = WORK
    print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB, {ROWS:,} rows; {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    tools = ["paperflow", "pandas", "pyarrow", "polars", "duckdb"]
    all_runs = {tool: [] for tool in tools}
    # Interleaved: each round runs every tool once, so a change in the machine's load falls on
    # all of them alike. The first round is discarded (the first process after a build or
    # another tool meets a fragmented memory and a cold allocator); the median of 3 rounds.
    for attempt in range(4):
        for tool in tools:
            runs = all_runs[tool]
            if tool == "paperflow":
                # Peak memory of the CSV read alone: the binary round trip runs in its own process.
                out = json.loads(run([paperflow, "bench", "csv", str(path), "--group-sum", "city,year:value"]))
                out["hs6_kept_zeros"] = out["types"]["hs6"] in ("string", "category")
                table = work / f"trade-{ROWS}.pftable"
                run([paperflow, "bench", "csv", str(path), "--binary", str(table)])
                back = json.loads(run([paperflow, "bench", "table", str(table), "--equals", str(path)]))
                assert back["equal"], "the binary table differs from the CSV read"
                out["binary_read_s"] = back["binary_read_s"]
            else:
                out = json.loads(run([PYTHON, "-c", REFERENCE, tool, str(path)]))
            if attempt > 0:
                runs.append(out)
    results = {}
    for tool, runs in all_runs.items():
        results[tool] = {k: statistics.median(r[k] for r in runs) if isinstance(runs[0][k], float) else runs[0][k]
                         for k in runs[0] if k in ("csv_read_s", "group_sum_s", "peak_memory_bytes", "hs6_kept_zeros",
                                                   "binary_read_s")}
    base = results["paperflow"]
    print(f"{'tool':10} {'CSV read s':>10} {'peak MiB':>9} {'group-by s':>10} {'HS zeros':>9} {'read ratio':>11} {'group ratio':>12}")
    for tool, r in results.items():
        print(f"{tool:10} {r['csv_read_s']:10.3f} {r['peak_memory_bytes'] / 2**20:9.0f} {r['group_sum_s']:10.3f} "
              f"{str(r['hs6_kept_zeros']):>9} {r['csv_read_s'] / base['csv_read_s']:10.2f}x {r['group_sum_s'] / base['group_sum_s']:11.2f}x")
    print(f"paperflow binary table read: {base['binary_read_s']:.3f} s "
          f"({base['csv_read_s'] / base['binary_read_s']:.0f}x faster than its CSV read)")


if __name__ == "__main__":
    main()
