"""Benchmark: build the full site and feeds from a large store.

3,000 items, 60 bulletins and 100 MI sheets (then 10,000 items): prints the build time
and the peak memory (RSS) of a fresh process for each size.

    python bench/build.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

AUDIENCES = {
    "headteachers": "Headteachers",
    "dsls": "DSLs",
    "governors": "Governors",
    "early-years": "Early years providers",
}
SOURCES = [f"source-{n}" for n in range(20)]


def populate(folder: Path, items: int, bulletins: int, notices: int) -> None:
    from publisher.bulletins import gather
    from publisher.config import load_config
    from publisher.models import Item, Notice
    from publisher.notices import approve, publish
    from publisher.sources import source_kinds
    from publisher.store import Store

    config_path = folder / "feeds.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "organisation": {"name": "Bench Council", "email": "team@bench.example"},
                "audiences": AUDIENCES,
                "sources": [
                    {
                        "id": s,
                        "kind": "feed",
                        "url": f"https://{s}.example/feed",
                        "audiences": ["dsls"],
                    }
                    for s in SOURCES
                ],
                "bulletin": {
                    "sections": [
                        {"title": "Online safety", "sources": SOURCES[:10], "audiences": ["dsls"]},
                        {"title": "Reviews", "sources": SOURCES[10:]},
                    ]
                },
            }
        )
    )
    config = load_config(config_path, source_kinds())
    store = Store(folder / "data")
    start = datetime(2020, 1, 1, tzinfo=UTC)
    span = timedelta(days=30.4 * bulletins)
    with store.transaction():
        for n in range(items):
            source = SOURCES[n % len(SOURCES)]
            store.save_items(
                source,
                [
                    Item(
                        key=f"{source}-{n}",
                        url=f"https://{source}.example/story/{n}",
                        title=f"Story {n}: safeguarding news from {source}",
                        summary=f"<p>Story {n}, with <a href='https://x.example'>a link</a>.</p>",
                        published=start + span * (n / items),
                    )
                ],
            )
    for n in range(notices):
        with store.transaction():
            draft = store.add_notice(
                Notice(
                    type="Action" if n % 2 else "Information",
                    title=f"MI sheet {n}",
                    contact="Education Safeguarding",
                    body=f"## Summary\n\nSheet {n}.\n\n- Do this",
                    audiences=("headteachers", "dsls"),
                    due="7",
                )
            )
        publish(store, approve(store, draft), start + span * (n / notices))
    for n in range(bulletins):
        month = (start + timedelta(days=30.4 * n + 15)).strftime("%Y-%m")
        with store.transaction():
            store.save_bulletin(month, gather(config, store, month).to_json())
    store.close()


def build(folder: Path) -> dict:
    from publisher.config import load_config
    from publisher.outputs import build_site
    from publisher.sources import source_kinds
    from publisher.store import Store

    config = load_config(folder / "feeds.yaml", source_kinds())
    store = Store(folder / "data")
    started = time.perf_counter()
    written = build_site(config, store, folder / "site")
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "files": sum(map(len, written.values())), "peak_mb": peak_mb}


def main() -> None:
    if len(sys.argv) > 1:  # the child: one size, in a fresh process so peak RSS is its own
        folder = Path(sys.argv[1])
        if sys.argv[2] == "populate":
            populate(folder, *map(int, sys.argv[3:]))
        else:
            print(json.dumps(build(folder)))
        return
    print("bench/build.py: python bench/build.py")
    for items, bulletins, notices in ((3000, 60, 100), (10000, 60, 100)):
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    folder,
                    "populate",
                    str(items),
                    str(bulletins),
                    str(notices),
                ],
                check=True,
            )
            result = json.loads(
                subprocess.run(
                    [sys.executable, __file__, folder, "build"],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
        print(
            f"  {items:,} items, {bulletins} bulletins, {notices} MI sheets: "
            f"{result['seconds']:.2f} s, {result['files']} files, "
            f"peak RSS {result['peak_mb']:.0f} MB (aims: <= 3 s, < 200 MB)"
        )


if __name__ == "__main__":
    main()
