#!/usr/bin/env python3
"""Format benchmark (issue 22): io.parquet and io.dta against the tools researchers read those
files with, on the data benchmark's trade table (generate.py: firm id and HS code as text with
leading zeros, Chinese city names, year, value, quantity with 5% missing).

Usage: python3 Benchmarks/data/formats.py [ROWS]   (default 10,000,000: the issue's figures)
Writes, once, into Benchmarks/data/work/: the CSV, pyarrow's Parquet files (snappy and zstd,
its defaults otherwise: dictionary pages, 1 Mi-row row groups) and pandas' .dta (format 118).
Each round runs every reader once in a fresh process, interleaved; the first round is discarded,
the median of the next three is reported. Every reader's row count, sum of value and count of
qty present are printed, so all read the same data.

Competitors, each as its user would call it: pyarrow.parquet.read_table (threads on),
polars.read_parquet, DuckDB `create table … as select * from read_parquet(…)`;
pandas.read_stata and pyreadstat.read_dta (pyreadstat with num_processes=2 as well).
"""
import json
import os
import statistics
import sys
import time
from pathlib import Path

from common import PYTHON, WORK, prepare, run, trade_csv

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000

REFERENCE = r"""
import json, resource, sys, time
tool, path = sys.argv[1], sys.argv[2]
if tool == "pyarrow": import pyarrow.parquet as pq
elif tool == "polars": import polars as pl
elif tool == "duckdb": import duckdb
elif tool == "pandas": import pandas as pd
else: import pyreadstat
# The timer covers reading into the tool's table (import and the checks after it not included).
t = time.perf_counter()
if tool == "pyarrow":
    frame = pq.read_table(path)
elif tool == "polars":
    frame = pl.read_parquet(path)
elif tool == "duckdb":
    con = duckdb.connect(); con.execute("set enable_progress_bar = false")
    con.execute(f"create table t as select * from read_parquet('{path}')")
elif tool == "pandas":
    frame = pd.read_stata(path)
elif tool == "pyreadstat":
    frame, meta = pyreadstat.read_dta(path)
else:
    frame, meta = pyreadstat.read_file_multiprocessing(pyreadstat.read_dta, path, num_processes=2)
seconds = time.perf_counter() - t
if tool == "pyarrow":
    import pyarrow.compute as pc
    rows, value, present, qty_sum = frame.num_rows, pc.sum(frame["value"]).as_py(), pc.count(frame["qty"]).as_py(), pc.sum(frame["qty"]).as_py()
elif tool == "polars":
    rows, value, present, qty_sum = frame.height, frame["value"].sum(), frame["qty"].count(), frame["qty"].sum()
elif tool == "duckdb":
    rows, value, present, qty_sum = con.execute("select count(*), sum(value), count(qty), sum(qty) from t").fetchone()
else:
    rows, value, present, qty_sum = len(frame), frame["value"].sum(), int(frame["qty"].notna().sum()), frame["qty"].sum()
print(json.dumps({"read_s": seconds, "rows": int(rows), "sum_value": float(value), "present_qty": int(present), "sum_qty": float(qty_sum),
                  "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""

PREPARE = r"""
import sys
import pandas as pd, pyarrow as pa, pyarrow.csv as pc, pyarrow.parquet as pq
csv, out = sys.argv[1], sys.argv[2]
types = {"firm_id": pa.string(), "city": pa.string(), "hs6": pa.string(), "year": pa.int64(), "value": pa.float64(), "qty": pa.int64()}
table = pc.read_csv(csv, convert_options=pc.ConvertOptions(column_types=types))
pq.write_table(table, out + "-snappy.parquet", compression="snappy")
pq.write_table(table, out + "-zstd.parquet", compression="zstd")
frame = table.to_pandas()
frame["qty"] = frame["qty"].astype("float64")
frame.to_stata(out + ".dta", version=118, write_index=False)
"""


def main():
    paperflow = prepare(["pandas==3.1.1", "pyarrow==26.0.1", "polars==2.1.0", "duckdb==2.0.1", "pyreadstat==1.3.8"])
    csv = trade_csv(ROWS)
    stem = WORK / f"trade-{ROWS}"
    if not Path(f"{stem}.dta").exists():
        print("writing Parquet (pyarrow) and .dta (pandas) ...", flush=True)
        run([PYTHON, "-c", PREPARE, str(csv), str(stem)])
    files = {"parquet snappy": f"{stem}-snappy.parquet", "parquet zstd": f"{stem}-zstd.parquet", "dta 118": f"{stem}.dta"}
    readers = {"parquet snappy": ["paperflow", "pyarrow", "polars", "duckdb"], "parquet zstd": ["paperflow", "pyarrow", "polars", "duckdb"],
               "dta 118": ["paperflow", "pandas", "pyreadstat", "pyreadstat-2"]}
    print(f"{ROWS:,} rows; " + ", ".join(f"{Path(p).name} {os.path.getsize(p) / 1e6:.0f} MB" for p in files.values())
          + f"; {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    runs = {(kind, tool): [] for kind in files for tool in readers[kind]}
    for attempt in range(4):
        for kind, path in files.items():
            for tool in readers[kind]:
                if tool == "paperflow":
                    out = json.loads(run([paperflow, "bench", "parquet" if kind.startswith("parquet") else "dta", path, "--sum", "value", "--sum", "qty"]))
                else:
                    out = json.loads(run([PYTHON, "-c", REFERENCE, tool, path]))
                if attempt > 0:
                    runs[(kind, tool)].append(out)
    for kind in files:
        base = statistics.median(r["read_s"] for r in runs[(kind, "paperflow")])
        print(f"\n{kind}: {'tool':13} {'read s':>8} {'peak MiB':>9} {'ratio':>7}   rows, sum(value), count(qty), sum(qty)")
        for tool in readers[kind]:
            rs = runs[(kind, tool)]
            seconds = statistics.median(r["read_s"] for r in rs)
            memory = statistics.median(r["peak_memory_bytes"] for r in rs)
            last = rs[-1]
            print(f"{'':{len(kind) + 2}}{tool:13} {seconds:8.3f} {memory / 2**20:9.0f} {seconds / base:6.2f}x   "
                  f"{last['rows']}, {last['sum_value']:.6e}, {last['present_qty']}, {last['sum_qty']:.0f}")


if __name__ == "__main__":
    main()
