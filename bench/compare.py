"""Benchmark: comparing two 170-page editions of a guidance document (generated like the
tests' fixtures: running headers, footers, numbered paragraphs, a glossary), with a
paragraph inserted early (every later number shifts), one reworded and one removed.

Prints the time for each step, the whole comparison against the 5 s aim, and the peak
memory of the process (resident set, so PDFium's own memory counts) against 300 MB.

    python bench/compare.py
"""

from __future__ import annotations

import copy
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from guidance_docs import filler, guidance_pdf, numbered_pages  # noqa: E402

from publisher.comparison import compare  # noqa: E402
from publisher.comparison.extract import read_document  # noqa: E402

PAGES = 170
AIM_SECONDS, AIM_MB = 5.0, 300


def editions() -> tuple[bytes, bytes]:
    pages = numbered_pages(3, PAGES, per_page=4)
    new = copy.deepcopy(pages)
    new[5].insert(0, ("para", "Schools and colleges should review their filtering and monitoring."))
    new[60][1] = ("para", filler(631) + " This sentence is new.")
    del new[120][2]
    return (
        guidance_pdf(pages, "Working Together to Safeguard Children", "December 2023"),
        guidance_pdf(new, "Working Together to Safeguard Children", "February 2024"),
    )


def rewritten() -> tuple[bytes, bytes]:
    """The worst case for alignment: a new edition with every paragraph reworded."""
    pages = numbered_pages(3, PAGES, per_page=4)
    new = [[(kind, text.replace(" ", " newly ", 1)) for kind, text in page] for page in pages]
    return guidance_pdf(pages, "Guidance", "2023"), guidance_pdf(new, "Guidance", "2024")


def main() -> None:
    old_pdf, new_pdf = rewritten()
    started = time.perf_counter()
    comparison = compare(read_document(old_pdf, "old.pdf"), read_document(new_pdf, "new.pdf"))
    print(
        f"every paragraph reworded: {len(comparison.changes)} changes "
        f"in {time.perf_counter() - started:.2f} s"
    )
    old_pdf, new_pdf = editions()
    started = time.perf_counter()
    old = read_document(old_pdf, "old.pdf")
    new = read_document(new_pdf, "new.pdf")
    extracted = time.perf_counter()
    comparison = compare(old, new)
    finished = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kinds = sorted(change.kind for change in comparison.changes)
    print(f"documents: {old.pages} and {new.pages} pages, {len(new.blocks)} blocks in the new")
    print(f"changes found: {kinds} (expected ['added', 'changed', 'removed'])")
    print(f"renumbered: {len(comparison.renumbered)} paragraphs")
    print(f"extract both: {extracted - started:.2f} s")
    print(f"align and diff: {finished - extracted:.2f} s")
    total = finished - started
    ratio = total / AIM_SECONDS
    print(f"whole comparison: {total:.2f} s (aim {AIM_SECONDS:.0f} s, ratio {ratio:.2f})")
    print(f"peak memory (RSS, includes making the PDFs): {peak_mb:.0f} MB (aim {AIM_MB} MB)")


if __name__ == "__main__":
    main()
