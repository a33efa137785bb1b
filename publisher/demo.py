"""``publisher demo``: the whole pipeline, offline, on sample data shipped with the package.

It serves the samples from a local HTTP server on 127.0.0.1 so the real fetch path runs,
then publishes a second state of a GOV.UK page at the same address so detection and
alerting run too. Every run starts afresh in its folder, so it can be run again and again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from importlib.resources import as_file, files
from pathlib import Path

from publisher.alerts import send_pending_alerts
from publisher.bulletins import comparison_page, gather
from publisher.config import load_config
from publisher.editions import amended_wording, note_check
from publisher.errors import InputError
from publisher.fetch import fetch_sources
from publisher.letters import bulletin_letters, letters_for_notice, write_previews
from publisher.models import Notice
from publisher.notices import (
    approve,
    draft_from_change,
    parse_datetime,
    publish,
)
from publisher.outputs import build_site
from publisher.render import Renderer
from publisher.sending import send_letters
from publisher.serve import serve_directory
from publisher.sheet_files import from_markdown
from publisher.sources import source_kinds
from publisher.store import Store
from publisher.subscribers import import_subscribers, read_csv
from publisher.users import add_user

SAMPLES = files("publisher.sample_data")
MARKER = ".publisher-demo"
WTTSC_PATH = "government/publications/working-together-to-safeguard-children--2"
DATA_FOLDER = "publisher-data"  # where the CLI looks by default, so `publisher serve` finds it
OUTPUT_FOLDERS = (DATA_FOLDER, "site", "outbox")
DEMO_TEAM = (("editor@example.gov.uk", "editor"), ("approver@example.gov.uk", "approver"))
DEMO_MONTH = "2024-02"
# The WTTSC PDF before and after 23 Feb 2024 (made by tests/guidance_docs.py).
DEMO_EDITIONS = ("wttsc-2023.pdf", "wttsc-2024.pdf")


class DemoFolderError(InputError):
    """The demo's folder holds something the demo did not make."""


def run_demo(directory: Path, echo: Callable[[str], None] = print) -> dict[str, Path]:
    """Run the pipeline into ``directory``; return the main files written."""
    started = time.perf_counter()
    directory = _prepare(Path(directory).resolve())
    kinds = source_kinds()
    store = Store(directory / DATA_FOLDER)
    with tempfile.TemporaryDirectory() as served, as_file(SAMPLES) as samples:
        served = Path(served)
        shutil.copytree(samples / "served", served, dirs_exist_ok=True)
        content_file = served / "api" / "content" / WTTSC_PATH
        content_file.parent.mkdir(parents=True)
        for upload, edition in enumerate(DEMO_EDITIONS, 1):
            (served / "media" / str(upload)).mkdir(parents=True)
            shutil.copy(samples / "govuk" / edition, served / "media" / str(upload) / edition)
        with serve_directory(served) as base_url:
            _publish_content(samples, content_file, "wttsc-v1.json", base_url, upload=1)
            config_path = directory / "feeds.yaml"
            template = (samples / "demo-feeds.yaml").read_text(encoding="utf-8")
            config_path.write_text(template.replace("{base_url}", base_url), encoding="utf-8")
            config = load_config(config_path, kinds)
            echo(f"Serving sample data at {base_url} (nothing leaves this machine)")
            for report in fetch_sources(config, store, kinds):
                echo(f"  fetched {report.source_id}: {report.describe()}")

            echo("GOV.UK publishes the 23 February 2024 change to Working Together...")
            _publish_content(samples, content_file, "wttsc-v2.json", base_url, upload=2)
            # Last-Modified has one-second resolution: date the new state a minute later.
            later = time.time() + 60
            os.utime(content_file, (later, later))
            for report in fetch_sources(config, store, kinds, only=["wttsc"]):
                echo(f"  fetched {report.source_id}: {report.describe()}")
        alerts = send_pending_alerts(config, store, directory)
        detected = [change for alert in alerts for change in alert.changes]
        for change in detected:
            if not change.refs:
                echo(f"  detected: {change.kind} change: {change.details or change.note}")
                continue
            echo(f"  detected: {change.kind} change, {len(change.refs)} references:")
            for reference in change.refs:
                echo(f"    {reference.label():<22} | {reference.text}")
            if check := note_check(change):
                echo(f"  compared the replaced PDF with the new upload: {check}")

        notices = [_publish_sample_notice(store, config)]
        for change in (change for change in detected if change.kind == "major"):
            notices.append(_publish_change_notice(store, config, change))
        bulletin = gather(config, store, DEMO_MONTH)
        with store.transaction():
            store.save_bulletin(bulletin)
    echo(
        f"Published {', '.join(notice.label for notice in notices)}; "
        f"built the {bulletin.title.split(', ')[-1]} bulletin ({bulletin.entry_count} entries)"
    )

    site_dir = directory / "site"
    build_site(config, store, site_dir)
    renderer = Renderer(config)
    with as_file(SAMPLES / "subscribers.csv") as csv_file:
        subscribers, rejected = read_csv(csv_file, config)
    import_subscribers(store, subscribers)
    echo(
        f"Imported {len(subscribers)} subscribers (skipped {len(rejected)}: "
        f"{'; '.join(f'line {row.line}: {row.reason}' for row in rejected)})"
    )
    letters = [
        *letters_for_notice(renderer, config, store, notices[0]),
        *bulletin_letters(renderer, config, bulletin, store.subscribers()),
    ]
    report = send_letters(config, store, letters, directory)
    echo(f"Sent MI {notices[0].number} and the bulletin: {len(report.sent)} emails to the outbox")
    previews = write_previews(
        renderer, config, bulletin, directory / "outbox" / "bulletin", directory / DATA_FOLDER
    )
    team = [add_user(store, email, role)[::-1] for email, role in DEMO_TEAM]
    store.close()
    outbox = directory / "outbox"

    written = {
        "home page": site_dir / "index.html",
        "MI sheet": site_dir / "mi" / f"{notices[0].slug}.html",
        "bulletin": site_dir / "bulletins" / DEMO_MONTH / "dsls.html",
        **{
            f"comparison {n}": site_dir / comparison_page(change)
            for n, change in enumerate(filter(amended_wording, detected), 1)
        },
        "RSS": site_dir / "feeds" / "dsls.rss",
        "Atom": site_dir / "feeds" / "dsls.atom",
        "calendar": site_dir / "calendars" / "dsls.ics",
        "MI email": next(outbox.glob("*Jo-Patel*MI-1-24*.eml")),
        "bulletin email": previews["dsls"],
        **{f"alert email {n}": Path(alert.receipt) for n, alert in enumerate(alerts, 1)},
        "database": store.path,
    }
    echo(f"\nDemo finished in {time.perf_counter() - started:.1f}s. Open:")
    for label, path in written.items():
        echo(f"  {label:<15} {path}")
    echo(
        f"\nThe web app (the emails' links point at it): cd {directory} && publisher serve, "
        "then open http://localhost:8000/"
    )
    for password, user in team:
        echo(f"  sign in as {user.email} ({user.role}), password {password}")
    return written


def _publish_content(samples, content_file: Path, name: str, base_url: str, upload: int):
    """A Content API state whose PDF is the sample edition served beside it."""
    content = json.loads((samples / "govuk" / name).read_text(encoding="utf-8"))
    edition = DEMO_EDITIONS[upload - 1]
    content["details"]["attachments"][0]["url"] = f"{base_url}media/{upload}/{edition}"
    content_file.write_text(json.dumps(content), encoding="utf-8")


def _publish_sample_notice(store: Store, config) -> Notice:
    """MI 1/24 through the real workflow: draft, approve, publish (back-dated)."""
    text = (SAMPLES / "mi-sheet.md").read_text(encoding="utf-8")
    draft = from_markdown(
        text, Notice(type="Action", title="", contact=config.organisation.contact)
    )
    with store.transaction():
        draft = store.add_notice(draft)
    return publish(store, approve(store, draft), parse_datetime("2024-01-03 10:00"))


def _publish_change_notice(store: Store, config, change) -> Notice:
    """A sheet drafted from the detected change, as `check --draft-mi` would, then published."""
    draft = replace(draft_from_change(config, change), due="10")
    with store.transaction():
        draft = store.add_notice(draft)
    return publish(store, approve(store, draft), parse_datetime("2024-02-26 10:00"))


def _prepare(directory: Path) -> Path:
    """Make ``directory`` ready: new, empty, or a previous demo's (whose output is reset)."""
    if directory.exists() and any(directory.iterdir()) and not (directory / MARKER).exists():
        raise DemoFolderError(
            f"{directory} is not empty and was not made by 'publisher demo'; "
            "choose a new folder, e.g. 'publisher demo publisher-demo'"
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).touch()
    for name in OUTPUT_FOLDERS:
        shutil.rmtree(directory / name, ignore_errors=True)
    return directory
