#!/usr/bin/env python3
"""Remote-cache benchmark (issue 8): pulling a 1 GB store over loopback, Paperflow against curl.

Makes a project whose workflow writes 16 blobs of 64 MiB of random bytes (1 GiB), runs it, and
pushes the store to a Debian nginx with WebDAV PUT on 127.0.0.1. Then, --repeat times each:
  paperflow  `paperflow cache pull --remote URL` into an empty store (every blob hashed on
             arrival and renamed into the store; the action records fetched and checked)
  curl       one `curl` process fetching the same 16 blob URLs over one connection into files
and prints the median wall times and their ratio. Needs nginx (.ci/install-tools installs it) and
builds paperflow in release mode. Work files go under Benchmarks/cache/work/ (git-ignored).

Usage: python3 Benchmarks/cache/bench.py [--repeat 5] [--blobs 16] [--mib 64]
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = HERE / "work"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(root, port):
    conf = WORK / "nginx.conf"
    tmp = WORK / "nginx-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    conf.write_text(f"""
{"user root;" if os.getuid() == 0 else ""}
worker_processes 1;
daemon off;
pid {WORK}/nginx.pid;
error_log {WORK}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  client_max_body_size 0;
  sendfile on;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ dav_methods PUT; create_full_put_path on; dav_access user:rw group:r all:r; }}
  }}
}}
""")
    process = subprocess.Popen(["nginx", "-c", str(conf), "-e", str(WORK / "nginx-error.log")])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nginx did not start; see " + str(WORK / "nginx-error.log"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--blobs", type=int, default=16)
    parser.add_argument("--mib", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("nginx") is None:
        subprocess.run([str(ROOT / ".ci/install-tools")], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "paperflow"], cwd=ROOT, check=True)
    paperflow = str(ROOT / ".build/release/paperflow")

    shutil.rmtree(WORK, ignore_errors=True)
    source, clone, served, fetched = (WORK / n for n in ("source", "clone", "served", "curl"))
    (source / "Workflows").mkdir(parents=True)
    stages = "\n".join(
        f"  b{i}: {{uses: shell@1, with: {{cmd: \"head -c {args.mib << 20} /dev/urandom > {{outs.o}}\", outs: {{o: b{i}.bin}}}}}}"
        for i in range(args.blobs))
    (source / "Workflows/big.yaml").write_text(f"workflow: big\nstages:\n{stages}\n")
    subprocess.run([paperflow, "run", "Workflows/big.yaml"], cwd=source, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    nginx = start_nginx(served, port)
    url = f"http://127.0.0.1:{port}/cache"
    try:
        subprocess.run([paperflow, "cache", "push", "--remote", url], cwd=source, check=True)
        (clone / "Workflows").mkdir(parents=True)
        shutil.copy(source / "Workflows/big.yaml", clone / "Workflows")
        shutil.copy(source / "Workflows/big.lock", clone / "Workflows")
        blobs = sorted((served / "cache/cas").iterdir())
        total = sum(b.stat().st_size for b in blobs)
        curl = ["curl", "-s", "--fail"]
        for index, blob in enumerate(blobs):
            curl += [f"{url}/cas/{blob.name}", "-o", str(fetched / f"{index}")]
        times = {"paperflow": [], "curl": []}
        for _ in range(args.repeat + 1):  # the first round warms the page cache and is dropped
            shutil.rmtree(clone / "Artifacts", ignore_errors=True)
            shutil.rmtree(fetched, ignore_errors=True)
            fetched.mkdir()
            start = time.perf_counter()
            out = subprocess.run([paperflow, "cache", "pull", "--remote", url], cwd=clone, check=True, capture_output=True, text=True)
            times["paperflow"].append(time.perf_counter() - start)
            assert f"pulled {args.blobs} action records" in out.stdout, out.stdout
            start = time.perf_counter()
            subprocess.run(curl, check=True)
            times["curl"].append(time.perf_counter() - start)
        run = subprocess.run([paperflow, "run", "Workflows/big.yaml", "--json"], cwd=clone, check=True, capture_output=True, text=True)
        assert '"event":"stageStarted"' not in run.stdout, "the run after the pull computed something"
    finally:
        nginx.send_signal(signal.SIGTERM)
        nginx.wait()
    pf, cu = (statistics.median(times[k][1:]) for k in ("paperflow", "curl"))
    gib = total / (1 << 30)
    print(f"store: {len(blobs)} blobs, {gib:.2f} GiB, nginx on 127.0.0.1")
    print(f"paperflow cache pull: median {pf:.2f} s ({gib / pf:.2f} GiB/s) over {args.repeat} runs {['%.2f' % t for t in times['paperflow'][1:]]}")
    print(f"curl (one process, one connection): median {cu:.2f} s ({gib / cu:.2f} GiB/s) {['%.2f' % t for t in times['curl'][1:]]}")
    print(f"ratio paperflow / curl: {pf / cu:.2f}x (target: at most 2x); the run after the pull computed nothing")


if __name__ == "__main__":
    main()
