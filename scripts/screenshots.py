"""Render a screenshot of every dashboard page in English and Chinese for the README (headless Chromium,
loopback only), and write the README's gallery between its ``<!-- screenshots -->`` markers.

    python scripts/screenshots.py [--store build/store] [--process finance] [--out docs/screenshots]

Builds the sample store if it is missing, serves the dashboard on 127.0.0.1, and asks Debian's
Chromium for one PNG per page and language (apt-get install chromium; fonts-noto-cjk for the Chinese
labels). The case page shows the process's slowest case.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from flowmine.dashboard._app import PAGES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, default=Path("build/store"))
    ap.add_argument("--process", default="finance")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    ap.add_argument("--readme", type=Path, default=Path("README.md"))
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
        case = slowest_case(args.store, args.process)
        shots = [(page.PATH.strip("/") or "overview", page.PATH, {"case": case} if page.PATH == "/case" else {},
                  "1400,1000") for page in PAGES]
        # the step card of the bottleneck, at the foot of the Steps page: a tall window shows all of it
        shots.append(("card", "/steps", {"card": bottleneck(args.store, args.process)}, "1400,3400"))
        for name, path, extra, size in shots:
            for lang in ("en", "zh"):
                out = args.out / f"{name}{'' if lang == 'en' else '-' + lang}.png"
                query = urllib.parse.urlencode({"process": args.process, **extra, "lang": lang})
                with tempfile.TemporaryDirectory() as profile:
                    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                    "--no-first-run", f"--user-data-dir={profile}", f"--window-size={size}",
                                    "--virtual-time-budget=30000", f"--screenshot={out}",
                                    f"http://127.0.0.1:{port}{path}?{query}"],
                                   check=True, capture_output=True, timeout=180)
                print(f"wrote {out}")
        write_gallery(args.readme, args.out)
    finally:
        server.terminate()
        server.wait(timeout=10)


def slowest_case(store: Path, process: str) -> str:
    from flowmine.analytics import case_table, stored

    return str(case_table(stored(store, process), sort="throughput_s", descending=True, limit=1)[0]["case"].iloc[0])


def bottleneck(store: Path, process: str) -> str:
    from flowmine.analytics import bottlenecks, stored

    table = bottlenecks(stored(store, process))
    return str(table[table["kind"] == "activity"].iloc[0]["name"])


def write_gallery(readme: Path, folder: Path) -> None:
    """The README's table of every page, English above Chinese, between the screenshot markers."""
    from flowmine.dashboard._i18n import t

    begin, end = "<!-- screenshots -->", "<!-- /screenshots -->"
    text = readme.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        raise SystemExit(f"error: {readme} has no {begin} ... {end} markers")
    rel = folder.as_posix()
    rows = ["| page / 页面 | English | 中文 |", "|---|---|---|"]
    for page in PAGES:
        name = page.PATH.strip("/") or "overview"
        title = f"{t(page.TITLE_KEY, 'en')} / {t(page.TITLE_KEY, 'zh')}"
        rows.append(f"| {title} | ![{name}]({rel}/{name}.png) | ![{name}]({rel}/{name}-zh.png) |")
    rows.append(f"| {t('card_title', 'en')} / {t('card_title', 'zh')} | ![card]({rel}/card.png) | "
                f"![card]({rel}/card-zh.png) |")
    head, rest = text.split(begin, 1)
    readme.write_text(head + begin + "\n" + "\n".join(rows) + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")
    print(f"wrote the gallery of {len(PAGES)} pages and the step card into {readme}")


if __name__ == "__main__":
    main()
