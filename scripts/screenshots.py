"""Render a screenshot of every dashboard page for the README (headless Chromium, loopback only).

    python scripts/screenshots.py [--store build/store] [--process finance] [--out docs/screenshots]

Builds the sample store if it is missing, serves the dashboard on 127.0.0.1, and asks Debian's
Chromium for one PNG per page (apt-get install chromium; fonts-noto-cjk for the Chinese labels).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from flowmine.dashboard._app import PAGES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, default=Path("build/store"))
    ap.add_argument("--process", default="finance")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    ap.add_argument("--lang", default="en", choices=["en", "zh"])
    args = ap.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("error: chromium not found (apt-get install chromium)")
    cli = [sys.executable, "-m", "flowmine"]
    if not (args.store / "flowmine-store.json").exists():
        subprocess.run([*cli, "demo", "--store", str(args.store), "--no-serve"], check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*cli, "dashboard", "--store", str(args.store), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        for page in PAGES:
            name = page.PATH.strip("/") or "overview"
            out = args.out / f"{name}{'' if args.lang == 'en' else '-' + args.lang}.png"
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                "--no-first-run", f"--user-data-dir={profile}", "--window-size=1400,1000",
                                "--virtual-time-budget=15000", f"--screenshot={out}",
                                f"http://127.0.0.1:{port}{page.PATH}?process={args.process}&lang={args.lang}"],
                               check=True, capture_output=True, timeout=120)
            print(f"wrote {out}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
