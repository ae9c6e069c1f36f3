"""What the relatedness benchmarks share: their venv — each script installs its own packages
into it every time, so either script may run first (bench.py's ecomplexity and panel.py's
scipy/pyarrow live side by side) — and the release build of paperflow."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"


def venv(packages):
    """The venv's python, with `packages` installed (pip does nothing for those already there)."""
    python = VENV / "bin/python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
    return python


def build_paperflow():
    """The release paperflow, built here."""
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "paperflow"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    return Path(path) / "paperflow"
