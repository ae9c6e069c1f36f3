"""Writes the Stata and Excel copies of two of this folder's CSV files, for the examples that
read those formats (Workflows/examples/formats.yaml):

    python3 -m venv /tmp/fmt && /tmp/fmt/bin/pip install pandas==3.1.1 openpyxl==3.1.5
    /tmp/fmt/bin/python make_stata_excel.py

RDIntense.dta: RDIntense.csv as Stata 14+ writes it (format 118), with variable labels and
the indicator as a value-labelled category. PublicBudget.xlsx: PublicBudget.csv in a sheet
"budget" under a title row, as a statistical yearbook's table sits in a workbook.
"""
import pandas as pd
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
print(len(rd), "rows to RDIntense.dta,", len(budget), "rows to PublicBudget.xlsx")
