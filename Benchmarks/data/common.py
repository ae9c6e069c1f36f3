"""What the data benchmarks share: the venv with the reference tools, the release build of
paperflow, and the generated trade file (generate.py), made once under work/."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
PYTHON = str(VENV / "bin" / "python")
WORK = HERE / "work"


def run(cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def prepare(packages):
    """Makes the venv with `packages` and the release paperflow; returns paperflow's path."""
    if not (VENV / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    run([str(VENV / "bin" / "pip"), "install", "--quiet", *packages])
    run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "paperflow"])
    return str(Path(run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"]).strip()) / "paperflow")


def trade_csv(rows):
    """The generated trade CSV of `rows` rows (written on first use)."""
    WORK.mkdir(exist_ok=True)
    path = WORK / f"trade-{rows}.csv"
    if not path.exists():
        print(f"generating {rows:,} rows ...", flush=True)
        run([sys.executable, str(HERE / "generate.py"), str(rows), str(path)])
    return path
