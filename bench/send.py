"""Benchmark: emails rendered per second (personalised; MJML compiled once per message,
not per recipient) and delivered per second to a local SMTP server (aiosmtpd, run in its
own process on 127.0.0.1, discarding what it receives).

    python bench/send.py
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

from publisher.config import load_config
from publisher.letters import notice_letter
from publisher.models import Notice
from publisher.notices import approve, parse_datetime, publish
from publisher.render import Renderer
from publisher.sending import message_id_for, personalise, send_letters
from publisher.sources import source_kinds
from publisher.store import Store
from publisher.subscribers import Subscriber

RENDERED, DELIVERED = 5000, 1000
BODY = (
    "## Summary\n\nUpdated guidance.\n\n## Key changes\n\n"
    + "".join(f"- Paragraph {n}: amended wording.\n" for n in range(20))
    + "\n## Next steps\n\n- Act.\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    print("bench/send.py: python bench/send.py")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "feeds.yaml").write_text(
            yaml.safe_dump(
                {
                    "organisation": {"name": "Bench Council", "email": "team@bench.example"},
                    "audiences": {"dsls": "DSLs"},
                    "sources": [{"id": "x", "kind": "feed", "url": "http://127.0.0.1:9/"}],
                    "delivery": {
                        "via": "smtp",
                        "rate": 0,
                        "retries": 1,
                        "retry_backoff": 0.1,
                        "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
                    },
                }
            )
        )
        config = load_config(folder / "feeds.yaml", source_kinds())
        store = Store(folder / "data")
        with store.transaction():
            draft = store.add_notice(
                Notice(
                    type="Action",
                    title="Bench sheet",
                    body=BODY,
                    contact="Team",
                    audiences=("dsls",),
                    due="7",
                )
            )
        notice = publish(store, approve(store, draft), parse_datetime("2024-01-03 10:00"))
        renderer = Renderer(config)

        started = time.perf_counter()
        letter = notice_letter(renderer, config, notice)  # MJML compiled once
        compile_seconds = time.perf_counter() - started
        people = [
            Subscriber(f"dsl{n}@school{n}.example", f"DSL {n}", f"School {n}", ("dsls",))
            for n in range(RENDERED)
        ]
        started = time.perf_counter()
        size = sum(
            len(
                bytes(
                    personalise(
                        letter,
                        person,
                        config,
                        message_id_for(letter.key, person.email, config),
                        store.data_dir,
                    )
                )
            )
            for person in people
        )
        elapsed = time.perf_counter() - started
        print(
            f"  rendered: {RENDERED / elapsed:,.0f} emails/s ({RENDERED} personalised, "
            f"{size / RENDERED / 1024:.0f} KiB each; MJML compile once: "
            f"{compile_seconds * 1000:.0f} ms)  aim >= 2,000/s"
        )

        time.sleep(0.5)  # let the SMTP server start listening
        for connections in (1, 4):
            config.delivery["connections"] = connections
            batch = replace(letter, key=f"bench/{connections}")  # a fresh send log each time
            started = time.perf_counter()
            report = send_letters(config, store, [(batch, people[:DELIVERED])], folder)
            elapsed = time.perf_counter() - started
            print(
                f"  delivered: {len(report.sent) / elapsed:,.0f} emails/s ({len(report.sent)} "
                f"sent over {connections} SMTP connection(s), every outcome in the send log; "
                f"failed {len(report.failed)})  aim >= 500/s"
            )
        store.close()
    server.terminate()
    server.wait()


if __name__ == "__main__":
    main()
