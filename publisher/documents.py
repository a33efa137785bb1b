"""Kept copies of the files watched documents attach (GOV.UK PDFs), so that when one is
replaced the old and new editions can be compared. One file per address, named by a hash
of it, in ``<data folder>/documents/``."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FOLDER_NAME = "documents"


class DocumentFiles:
    def __init__(self, data_dir: Path):
        self.folder = Path(data_dir) / FOLDER_NAME

    def path(self, url: str) -> Path:
        return self.folder / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".bin")

    def has(self, url: str) -> bool:
        return self.path(url).exists()

    def read(self, url: str) -> bytes | None:
        try:
            return self.path(url).read_bytes()
        except FileNotFoundError:
            return None

    def keep(self, url: str, content: bytes) -> None:
        """Written whole or not at all (a crash leaves no half file to compare)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(url)
        partial = target.with_suffix(".partial")
        partial.write_bytes(content)
        os.replace(partial, target)
