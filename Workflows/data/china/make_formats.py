"""Writes the Stata, Excel and Parquet copies of three of this folder's CSV files, for the
example that reads those formats (Workflows/examples/formats.yaml):

    python3 -m venv /tmp/fmt && /tmp/fmt/bin/pip install pandas==3.1.1 openpyxl==3.1.5 pyarrow==26.0.1
    /tmp/fmt/bin/python make_formats.py

RDIntense.dta: RDIntense.csv as Stata 14+ writes it (format 118), with variable labels and
the indicator as a value-labelled category. PublicBudget.xlsx: PublicBudget.csv in a sheet
"budget" under a title row, as a statistical yearbook's table sits in a workbook.
RDLaborHour.parquet: RDLaborHour.csv as pyarrow writes it (zstd, dictionary-encoded text), sorted
by year in row groups of 500 rows, so a filter on the year skips the groups of other years.
"""
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

rd = pd.read_csv("RDIntense.csv", dtype={"province": str})
rd["chn_block4"] = rd["chn_block4"].astype("category")
rd["year"] = rd["year"].astype("int32")
rd.to_stata("RDIntense.dta", version=118, write_index=False, data_label="R&D expenditure and intensity by province",
            variable_labels={"province": "province (Chinese name)", "year": "year", "chn_block4": "indicator",
                             "value": "value", "units": "unit", "variables": "indicator code"})

budget = pd.read_csv("PublicBudget.csv", dtype={"province": str})
book = Workbook()
sheet = book.active
sheet.title = "budget"
sheet["A1"] = "General budget expenditure by province and function (亿元), 2010–2023"
sheet.merge_cells("A1:F1")
sheet.append(list(budget.columns))
for row in budget.itertuples(index=False):
    sheet.append([None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row])
book.save("PublicBudget.xlsx")
labour = pd.read_csv("RDLaborHour.csv", dtype={"province": str}).sort_values("year", kind="stable")
pq.write_table(pa.Table.from_pandas(labour, preserve_index=False), "RDLaborHour.parquet", compression="zstd", row_group_size=500)
print(len(rd), "rows to RDIntense.dta,", len(budget), "rows to PublicBudget.xlsx,", len(labour), "rows to RDLaborHour.parquet")
