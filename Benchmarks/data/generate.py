"""Writes the data benchmark's CSV: firm id (10 digits, leading zeros possible), Chinese city name,
6-digit HS code (leading zeros possible), year, value, quantity with 5% missing. Deterministic.
Usage: python3 generate.py ROWS OUT.csv"""
import random
import sys

CITIES = ["北京市", "上海市", "广州市", "深圳市", "南京市", "苏州市", "无锡市", "杭州市", "宁波市", "天津市", "重庆市", "成都市",
          "武汉市", "西安市", "青岛市", "大连市", "厦门市", "福州市", "长沙市", "郑州市", "合肥市", "济南市", "沈阳市", "哈尔滨市"]

rows, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20261122)
hs_codes = [f"{rng.randrange(10000, 980000):06d}" for _ in range(5000)] + ["010110", "020110", "030111", "040110"]
with open(out, "w", encoding="utf-8", newline="") as f:
    f.write("firm_id,city,hs6,year,value,qty\n")
    chunk = []
    for i in range(rows):
        firm = f"{rng.randrange(0, 3_000_000):010d}"
        qty = "" if rng.random() < 0.05 else str(rng.randrange(1, 100000))
        chunk.append(f"{firm},{rng.choice(CITIES)},{rng.choice(hs_codes)},{rng.randrange(2000, 2017)},"
                     f"{rng.lognormvariate(8, 2):.2f},{qty}\n")
        if len(chunk) == 100_000:
            f.write("".join(chunk))
            chunk = []
    f.write("".join(chunk))
