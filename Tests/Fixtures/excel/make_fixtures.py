"""Writes the .xlsx fixtures io.xlsx is tested on with openpyxl, and what openpyxl reads back
from them (the expected values).

    python3 -m venv /tmp/xl && /tmp/xl/bin/pip install openpyxl==3.1.5
    /tmp/xl/bin/python make_fixtures.py

yearbook.xlsx, sheet "R&D 2023": a title merged across A1:F1, the header in row 2, then
provinces with a code kept as text ("0101"), an integer, a float, a date, a datetime and a
boolean, an empty row in the middle and a missing cell; a second sheet "notes". openpyxl
writes strings inline (t="inlineStr"); shared.xlsx is the same workbook with a shared-strings
table (t="s"), the form Excel writes.
"""
import datetime as dt
import json
import re
import zipfile
from openpyxl import Workbook, load_workbook

book = Workbook()
sheet = book.active
sheet.title = "R&D 2023"
sheet["A1"] = "R&D intensity of China's provinces, 2023 (yearbook extract)"
sheet.merge_cells("A1:F1")
sheet.append(["province", "code", "staff", "intensity", "published", "checked"])
rows = [
    ["北京 Beijing", "0101", 120, 6.73, dt.date(2024, 9, 30), True],
    ["天津 Tianjin", "0202", 45, 3.58, dt.date(2024, 9, 30), False],
    None,
    ["河北 Hebei & co", "0303", 60, 2.0, dt.datetime(2024, 10, 1, 12, 30), True],
    ["Shanxi <north>", "0404", None, 1.16, dt.date(2023, 12, 31), False],
]
for row in rows:
    sheet.append(row if row else [])
for cell in sheet["E"][2:]:
    if isinstance(cell.value, dt.datetime) and cell.value.hour:
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif cell.value is not None:
        cell.number_format = "yyyy-mm-dd"
notes = book.create_sheet("notes")
notes.append(["source", "techme R package"])
book.save("yearbook.xlsx")

# openpyxl writes every string inline (t="inlineStr"); Excel writes a shared-strings table
# (t="s"). shared.xlsx is the same workbook in Excel's form.
with zipfile.ZipFile("yearbook.xlsx") as source:
    strings = []
    def share(match):
        text = match.group(3)
        if text not in strings:
            strings.append(text)
        return f'<c r="{match.group(1)}"{match.group(2) or ""} t="s"><v>{strings.index(text)}</v></c>'
    with zipfile.ZipFile("shared.xlsx", "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename).decode()
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(r'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t>(.*?)</t></is></c>', share, data)
            elif item.filename == "[Content_Types].xml":
                data = data.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace("</Relationships>", '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            target.writestr(item, data.encode())
        table = "".join(f"<si><t>{t}</t></si>" for t in strings)
        target.writestr("xl/sharedStrings.xml", f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{table}</sst>')

# A number far beyond any calendar in a date style: kept as the number.
huge = Workbook()
huge.active.append(["when"])
huge.active.append([1e20])
huge.active["A2"].number_format = "yyyy-mm-dd"
huge.save("huge_date.xlsx")

expected = {}
for name in ("yearbook.xlsx", "shared.xlsx"):
    back = load_workbook(name)
    ws = back["R&D 2023"]
    values = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        out = []
        for v in row:
            if isinstance(v, dt.datetime):
                out.append(v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%dT%H:%M:%S"))
            else:
                out.append(v)
        values.append(out)
    expected[name] = {"rows": values, "merged": [str(r) for r in ws.merged_cells.ranges], "sheets": back.sheetnames}
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, ensure_ascii=False)
print("wrote", list(expected))
