"""Writes the Parquet fixtures io.parquet is tested on, with the tools researchers' files come
from, and what pyarrow reads back from them (the expected values).

    python3 -m venv /tmp/pq && /tmp/pq/bin/pip install pyarrow==26.0.1 polars==2.1.0 duckdb==2.0.1
    /tmp/pq/bin/python make_fixtures.py

pyarrow writes one small table with every codec (none, snappy, gzip, zstd at levels 1, 3, 19
and -5), every encoding it can write (dictionary, PLAIN, DELTA_BINARY_PACKED,
DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT), data pages v1 and v2, several
row groups, nulls, a dictionary (categorical) column, dates, timestamps, decimals, unsigned and
small integers. A larger file (40,000 rows, pages above zstd's 128 KiB block) exercises
multi-block zstd frames. polars and DuckDB write the same table with their defaults (zstd and
snappy). Malformed files: a cut file, a wrong magic number, a nested (list) column, and a codec
io.parquet lacks (LZ4). expected.json holds every column as pyarrow reads it: text as text,
dates and times as ISO 8601 text, decimals as floats, missing (and NaN) as null; the large file
as a SHA-256 of its values one per line.
"""
import datetime as dt
import decimal
import hashlib
import json
import os

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
rows = 23
codes = ["0101", "8471", "0101", None, "9999", "0001", "8471"]
table = pa.table({
    "firm": pa.array(range(1, rows + 1), pa.int64()),
    "year": pa.array([2000 + i % 5 for i in range(rows)], pa.int32()),
    "small": pa.array([(i * 37) % 200 - 100 for i in range(rows)], pa.int8()),
    "count": pa.array([None if i % 6 == 2 else i * 1000003 for i in range(rows)], pa.int64()),
    "big": pa.array([2**63 - 1 - i if i % 2 else -i for i in range(rows)], pa.int64()),
    "huge": pa.array([2**64 - 1 - i if i % 3 == 0 else i for i in range(rows)], pa.uint64()),
    "unsigned": pa.array([4_000_000_000 - i for i in range(rows)], pa.uint32()),
    "value": pa.array([None if i % 7 == 3 else (i - 11) * 1.25e-3 + i * i for i in range(rows)], pa.float64()),
    "share": pa.array([float("nan") if i == 5 else i / 8 for i in range(rows)], pa.float32()),
    "flag": pa.array([None if i == 4 else i % 3 == 0 for i in range(rows)], pa.bool_()),
    "code": pa.array([codes[i % len(codes)] for i in range(rows)], pa.string()),
    "name": pa.array([None if i == 9 else f"城市-{i * i:04d}-" + "x" * (i % 4) for i in range(rows)], pa.string()),
    "region": pa.array(["East", "West", "Central", "East", None, "Northeast"] * 3 + ["West"] * 5).dictionary_encode(),
    "day": pa.array([dt.date(1999, 12, 31) + dt.timedelta(days=97 * i) for i in range(rows)], pa.date32()),
    "stamp": pa.array([dt.datetime(2009, 1, 31, 12, 30, 15, 250000) + dt.timedelta(seconds=86461 * i) for i in range(rows)], pa.timestamp("us")),
    "price": pa.array([decimal.Decimal(f"{i * 13 - 100}.{i:02d}") for i in range(rows)], pa.decimal128(9, 2)),
})


def iso(value):
    if value is None:
        return None
    if isinstance(value, float):
        return None if value != value else value
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        return text + (f".{value.microsecond:06d}" if value.microsecond else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def expected(path):
    read = pq.read_table(path)
    meta = pq.ParquetFile(path).metadata
    return {
        "rows": read.num_rows,
        "row_groups": meta.num_row_groups,
        "columns": {name: [iso(v) for v in read.column(name).to_pylist()] for name in read.column_names},
    }


files = {}


def write(name, **options):
    path = os.path.join(HERE, name)
    pq.write_table(table, path, **options)
    files[name] = expected(path)


write("pyarrow_none.parquet", compression="none", row_group_size=10)
write("pyarrow_snappy.parquet", compression="snappy", row_group_size=10)
write("pyarrow_gzip.parquet", compression="gzip")
write("pyarrow_zstd.parquet", compression="zstd", row_group_size=8)
write("pyarrow_zstd19.parquet", compression="zstd", compression_level=19)
write("pyarrow_zstd_fast.parquet", compression="zstd", compression_level=-5)
write("pyarrow_v2.parquet", compression="zstd", data_page_version="2.0", row_group_size=12)
write("pyarrow_plain.parquet", compression="snappy", use_dictionary=False, data_page_version="2.0")
write("pyarrow_delta.parquet", compression="zstd", use_dictionary=False, data_page_version="2.0",
      column_encoding={"firm": "DELTA_BINARY_PACKED", "year": "DELTA_BINARY_PACKED", "count": "DELTA_BINARY_PACKED",
                       "small": "DELTA_BINARY_PACKED", "big": "DELTA_BINARY_PACKED", "code": "DELTA_BYTE_ARRAY", "name": "DELTA_LENGTH_BYTE_ARRAY",
                       "value": "BYTE_STREAM_SPLIT", "share": "BYTE_STREAM_SPLIT", "flag": "RLE"})

# polars and DuckDB with their defaults (zstd and snappy), from the same data.
frame = pl.from_arrow(table)
frame.write_parquet(os.path.join(HERE, "polars.parquet"))
files["polars.parquet"] = expected(os.path.join(HERE, "polars.parquet"))
connection = duckdb.connect()
connection.register("source", table)
connection.execute(f"copy (select * from source) to '{os.path.join(HERE, 'duckdb.parquet')}' (format parquet)")
files["duckdb.parquet"] = expected(os.path.join(HERE, "duckdb.parquet"))

# Pages above zstd's 128 KiB block: several blocks per frame, repeat offsets and reused tables.
large_rows = 40_000
words = ["province", "city", "county", "township", "village", "district", "prefecture", "league"]
large = pa.table({
    "id": pa.array([(i * 7919) % 1_000_003 for i in range(large_rows)], pa.int64()),
    "label": pa.array([f"{words[i % 8]}-{(i * 31) % 977}-{words[(i * 3) % 8]}" for i in range(large_rows)], pa.string()),
})
large_path = os.path.join(HERE, "pyarrow_large_zstd.parquet")
pq.write_table(large, large_path, compression="zstd", use_dictionary=False, data_page_size=1 << 20, row_group_size=25_000)
files["pyarrow_large_zstd.parquet"] = {
    "rows": large_rows,
    "row_groups": pq.ParquetFile(large_path).metadata.num_row_groups,
    "sha256": {name: hashlib.sha256("\n".join(str(v) for v in large.column(name).to_pylist()).encode()).hexdigest()
               for name in large.column_names},
}

# Malformed files.
good = open(os.path.join(HERE, "pyarrow_snappy.parquet"), "rb").read()
open(os.path.join(HERE, "bad_cut.parquet"), "wb").write(good[: len(good) // 2])
open(os.path.join(HERE, "bad_magic.parquet"), "wb").write(b"PAR2" + good[4:])
pq.write_table(pa.table({"firm": [1, 2], "products": [[1, 2], [3]]}), os.path.join(HERE, "bad_nested.parquet"))
pq.write_table(pa.table({"firm": [1, 2, 3]}), os.path.join(HERE, "bad_lz4.parquet"), compression="lz4")

with open(os.path.join(HERE, "expected.json"), "w") as out:
    json.dump(files, out, ensure_ascii=False, sort_keys=True)
    out.write("\n")
