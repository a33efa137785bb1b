"""Guidance documents as ordered blocks of text with their places: page, the heading they sit
under and their paragraph number.

PDFs are read with PDFium (pypdfium2): each text line with its position and font size.
Running headers and footers (lines repeated on most pages), page numbers, the cover and
contents pages and footnote markers are dropped; words hyphenated at line ends are
rejoined, paragraphs split across pages are joined, and ligatures and quotes normalised.
GOV.UK HTML publications are read from their ``govspeak`` body.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser

from publisher.errors import InputError
from publisher.text import clean_text

PARAGRAPH_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,2})?)\.?\s+(?=\S)")
BULLET = re.compile(r"^[\u2022\u25aa\u25cf\u25e6\u2013\u2014\-*]\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_COMPOUND_PREFIXES = {"multi", "non", "inter", "cross", "self", "co", "pre", "post", "sub"}
_URL_CUT = re.compile(r"(https?://|www\.)\S*[\w/-]$")


@dataclass(frozen=True)
class Block:
    """A paragraph, heading, bullet or table row of a document, in reading order."""

    text: str
    kind: str = "paragraph"  # paragraph, heading, bullet, footnote
    page: int | None = None
    heading: str | None = None
    paragraph: str | None = None

    def place(self) -> dict:
        return {
            "page": self.page,
            "paragraph": self.paragraph,
            "heading": self.heading,
            "text": self.text,
        }


@dataclass
class Document:
    """A document's blocks and what is known of it."""

    name: str
    blocks: list[Block] = field(default_factory=list)
    pages: int | None = None
    kind: str = "pdf"  # pdf or html

    def meta(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "pages": self.pages,
            "blocks": len(self.blocks),
            "paragraphs": sum(1 for block in self.blocks if block.paragraph),
        }


def normalise(text: str) -> str:
    """Ligatures, quotes, non-breaking and repeated spaces made plain; control characters
    and terminal escapes gone (a document is untrusted text like any other)."""
    return clean_text(unicodedata.normalize("NFKC", text).translate(_QUOTES))


def read_document(content: bytes, name: str) -> Document:
    """A PDF or an HTML publication, told apart by its first bytes."""
    if content.lstrip()[:5] == b"%PDF-":
        document = read_pdf(content, name)
    else:
        document = read_html(content.decode("utf-8", errors="replace"), name)
    if not document.blocks:
        kind = "a scanned PDF?" if document.kind == "pdf" else "is it a PDF or a web page?"
        raise InputError(f"{name}: no text found in it ({kind})")
    return document


# HTML publications --------------------------------------------------------------------


def read_html(markup: str, name: str) -> Document:
    tree = LexborHTMLParser(markup)
    body = tree.css_first(".govspeak") or tree.css_first("main") or tree.body
    document = Document(name=name, kind="html")
    if body is None:
        return document
    for marker in body.css("sup, .footnotes, script, style"):
        marker.decompose()
    heading = None
    for node in body.css("h1, h2, h3, h4, p, li, tr"):
        if node.tag in ("p", "li") and node.parent is not None and node.parent.tag == "li":
            continue
        text = normalise(node.text(separator=" "))
        if not text:
            continue
        if node.tag.startswith("h"):
            heading = text
            document.blocks.append(Block(text, "heading", heading=heading))
        else:
            kind = "bullet" if node.tag == "li" else "paragraph"
            document.blocks.append(_numbered(text, kind, None, heading))
    return document


# PDFs ----------------------------------------------------------------------------------


@dataclass
class _Line:
    page: int
    top: float
    bottom: float
    left: float
    text: str
    size: float


def read_pdf(content: bytes, name: str) -> Document:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as error:
        raise InputError(f"{name}: not a readable PDF ({error})") from None
    try:
        pages = [_page_lines(pdf[index], index + 1) for index in range(len(pdf))]
    finally:
        pdf.close()
    document = Document(name=name, pages=len(pages))
    body_size = _body_size(pages)
    repeated = _running_lines(pages)
    pages = [[line for line in lines if _signature(line.text) not in repeated] for lines in pages]
    pages = [lines for lines in pages if not _front_matter(lines)]
    document.blocks = _blocks(pages, body_size)
    return document


def _page_lines(page, number: int) -> list[_Line]:
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    pieces = []
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        text = textpage.get_text_bounded(left, bottom, right, top)
        if not text.strip():
            continue
        char = textpage.get_index(left + 1, (top + bottom) / 2, 2, (top - bottom) / 2)
        size = raw.FPDFText_GetFontSize(textpage.raw, char) if char >= 0 else 0.0
        pieces.append((number, top, bottom, left, text, size))
    textpage.close()
    page.close()
    rows: list[list[tuple]] = []
    for piece in sorted(pieces, key=lambda piece: -piece[2]):
        if rows and abs(rows[-1][0][2] - piece[2]) < 3 and piece[5] >= rows[-1][0][5] * 0.8:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    lines = []
    for row in rows:
        row.sort(key=lambda piece: piece[3])
        number, top, bottom, left, _, size = row[0]
        text = " ".join(piece[4].strip() for piece in row)
        lines.append(_Line(number, top, bottom, left, text, size))
    return lines


def _body_size(pages: list[list[_Line]]) -> float:
    sizes = Counter()
    for lines in pages:
        for line in lines:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 11.0


def _signature(text: str) -> str:
    return re.sub(r"\d+", "#", normalise(text).casefold())


def _running_lines(pages: list[list[_Line]]) -> set[str]:
    """Lines (digits aside) that recur at the top or bottom of most pages, and bare page
    numbers."""
    counts = Counter()
    for lines in pages:
        edges = {_signature(line.text) for line in lines[:2] + lines[-2:]}
        counts.update(edges)
    threshold = max(3, len(pages) // 2)
    running = {signature for signature, count in counts.items() if count >= threshold}
    return running | {"#", "page #", "# of #", "page # of #", "- # -"}


def _front_matter(lines: list[_Line]) -> bool:
    """A cover (few lines, before any numbered paragraph) or a contents page."""
    texts = [normalise(line.text) for line in lines]
    if not texts:
        return True
    if texts[0].casefold() in ("contents", "table of contents"):
        return True
    ending_in_page = sum(1 for text in texts if re.search(r"(\.{2,}|\s)\d{1,3}$", text))
    if len(texts) >= 4 and ending_in_page / len(texts) > 0.6:
        return True
    return lines[0].page == 1 and len(texts) < 12


def _blocks(pages: list[list[_Line]], body_size: float) -> list[Block]:
    blocks: list[Block] = []
    heading: str | None = None
    current: list[_Line] = []

    def finish():
        nonlocal heading
        if not current:
            return
        text = _join_lines([line.text for line in current])
        page = current[0].page
        if current[0].size > body_size * 1.15:
            heading = text
            blocks.append(Block(text, "heading", page, heading))
        elif current[0].size < body_size * 0.85:
            blocks.append(Block(text, "footnote", page, heading))
        else:
            kind = "bullet" if BULLET.match(text) else "paragraph"
            blocks.append(_numbered(BULLET.sub("", text), kind, page, heading))
        current.clear()

    for lines in pages:
        pitch = _line_pitch(lines)
        for line in lines:
            previous = current[-1] if current else None
            starts_block = (
                previous is None
                or PARAGRAPH_NUMBER.match(line.text)
                or BULLET.match(line.text)
                or abs(line.size - previous.size) > 0.5
                or (previous.page == line.page and previous.bottom - line.bottom > pitch * 1.2)
                or (previous.page != line.page and not _continues(previous.text, line.text))
            )
            if starts_block:
                finish()
            current.append(line)
        # a paragraph may go on over the page: decided by the next page's first line
    finish()
    return blocks


def _line_pitch(lines: list[_Line]) -> float:
    gaps = [
        above.bottom - below.bottom
        for above, below in zip(lines, lines[1:], strict=False)
        if 0 < above.bottom - below.bottom < 40 and abs(above.size - below.size) < 0.5
    ]
    return statistics.median(gaps) if gaps else 14.0


def _continues(last_text: str, next_text: str) -> bool:
    """Whether the first line of a page carries on the last line of the page before."""
    return not re.search(r"[.!?:;\"')]$", last_text.rstrip()) and bool(
        re.match(r"[a-z(]", next_text)
    )


def _join_lines(lines: list[str]) -> str:
    text = lines[0].strip()
    for line in lines[1:]:
        line = line.strip()
        word = re.search(r"(\w+)[\xad\x02-]$", text)
        if _URL_CUT.search(text):  # a web address carried on to the next line
            text += line
        elif word and line[:1].islower():
            hyphen = "-" if word.group(1).casefold() in _COMPOUND_PREFIXES else ""
            text = text[:-1] + hyphen + line
        else:
            text = text.rstrip("\xad\x02") + " " + line
    return normalise(text)


def _numbered(text: str, kind: str, page: int | None, heading: str | None) -> Block:
    number = PARAGRAPH_NUMBER.match(text)
    if number and kind == "paragraph":
        return Block(text[number.end() :], kind, page, heading, number.group(1))
    return Block(text, kind, page, heading)


__all__ = ["Block", "Document", "read_document", "read_html", "read_pdf", "normalise"]
