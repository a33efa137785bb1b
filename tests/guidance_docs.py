"""Realistic statutory guidance made in the tests: PDFs like GOV.UK's attachments (cover,
contents, running header and footer with page numbers, chapters, numbered paragraphs,
bullets, footnotes, a table, words hyphenated at line ends, a glossary) and HTML
publications like GOV.UK's ``html_publication`` pages.

A document is a list of pages; a page is a list of blocks:

- ``("heading", "Chapter 2: Multi-agency arrangements")``
- ``("para", "Text")``: numbered in order through the document (48., 49., ...)
- ``("bullet", "Text")``, ``("text", "Unnumbered text")``
- ``("continued", "rest of the page before's last paragraph")``: at the top of a page
- ``("footnote", "Text", "The footnote's own text")``: a paragraph with a superscript marker
- ``("table", [["Cell", "Cell"], ...])``
"""

from __future__ import annotations

import html
import random
from datetime import UTC, datetime
from pathlib import Path

WORDS = (
    "safeguarding partners children families practitioners local authority education "
    "providers schools colleges health police designated leads should must ensure that "
    "arrangements agencies information sharing assessment support early help protection "
    "welfare risk harm neglect abuse exploitation multi-agency statutory duties review "
    "panel learning reviews records consent parents carers young people disabled needs "
    "services responsibilities published guidance expected working together across "
    "partnership threshold referral contextual community online domestic serious "
    "violence within between through which where their about after before each every "
    "clearly timely proportionate independent scrutiny leadership accountability "
    "governance "
)
VOCABULARY = WORDS.split()


def filler(seed: int, words: int = 60) -> str:
    """A unique, deterministic paragraph of guidance-like prose."""
    chooser = random.Random(seed)
    text = " ".join(chooser.choice(VOCABULARY) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def numbered_pages(first_page: int, last_page: int, per_page: int = 2) -> list[list[tuple]]:
    """Pages of numbered paragraphs of filler, a chapter heading every ten pages."""
    pages = []
    for page in range(first_page, last_page + 1):
        blocks: list[tuple] = []
        if page % 10 == 0:
            blocks.append(("heading", f"Chapter {page // 10}: Arrangements part {page}"))
        blocks += [("para", filler(page * 10 + n)) for n in range(per_page)]
        pages.append(blocks)
    return pages


def guidance_pdf(pages: list[list[tuple]], title: str, edition: str = "December 2023") -> bytes:
    from fpdf import FPDF

    class Guidance(FPDF):
        def header(self):
            if self.page_no() > 1:
                self.set_font("Helvetica", size=8)
                self.cell(0, 6, f"{title} {edition}", align="R", new_x="LMARGIN", new_y="NEXT")
                self.ln(4)

        def footer(self):
            if self.page_no() > 1:
                self.set_y(-14)
                self.set_font("Helvetica", size=9)
                self.cell(0, 8, str(self.page_no()), align="C")

    pdf = Guidance(format="A4")
    pdf.core_fonts_encoding = "cp1252"  # bullets and curly quotes, as Word writes them
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=UTC))  # same bytes each run
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(22, 18, 22)
    pdf.add_page()  # cover
    pdf.set_font("Helvetica", "B", 26)
    pdf.ln(60)
    pdf.multi_cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=14)
    pdf.multi_cell(0, 8, f"Statutory guidance\n{edition}", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()  # contents
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    headings = [(n, b[1]) for n, page in enumerate(pages, 3) for b in page if b[0] == "heading"]
    for page_number, heading in headings[:30]:
        pdf.cell(150, 6, heading)
        pdf.cell(0, 6, str(page_number), align="R", new_x="LMARGIN", new_y="NEXT")
    number = 0
    for page in pages:
        pdf.add_page()
        footnotes = []
        for block in page:
            kind = block[0]
            if kind == "heading":
                pdf.set_font("Helvetica", "B", 16)
                pdf.ln(3)
                pdf.multi_cell(0, 9, block[1], new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            elif kind in ("para", "footnote"):
                number += 1
                pdf.set_font("Helvetica", size=11)
                pdf.cell(10, 6, f"{number}.")
                if kind == "footnote":  # inline text, so the marker follows the last word
                    footnotes.append(block[2])
                    margin = pdf.l_margin
                    pdf.set_left_margin(margin + 10)
                    pdf.write(6, block[1])
                    pdf.char_vpos = "SUP"
                    pdf.write(6, str(len(footnotes)))
                    pdf.char_vpos = "LINE"
                    pdf.set_left_margin(margin)
                    pdf.ln(6)
                else:
                    pdf.multi_cell(0, 6, block[1], new_x="LMARGIN", new_y="NEXT")
                pdf.ln(3)
            elif kind in ("bullet", "text", "continued"):
                pdf.set_font("Helvetica", size=11)
                pdf.set_x(pdf.l_margin + (14 if kind == "bullet" else 10))
                prefix = "\u2022  " if kind == "bullet" else ""
                pdf.multi_cell(0, 6, prefix + block[1], new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            elif kind == "table":
                pdf.set_font("Helvetica", size=10)
                with pdf.table() as table:
                    for row in block[1]:
                        table.row(row)
                pdf.ln(3)
        if footnotes:
            pdf.set_y(-40)
            pdf.set_font("Helvetica", size=8)
            for n, text in enumerate(footnotes, 1):
                pdf.multi_cell(0, 4, f"{n} {text}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def guidance_html(pages: list[list[tuple]], title: str) -> str:
    """The same document as a GOV.UK HTML publication (no pages)."""
    parts = [f'<main><h1 class="gem-c-title__text">{html.escape(title)}</h1>']
    parts.append('<div class="govspeak">')
    number = 0
    for page in pages:
        for block in page:
            kind, text = block[0], html.escape(str(block[1]))
            if kind == "heading":
                parts.append(f"<h2>{text}</h2>")
            elif kind in ("para", "footnote"):
                number += 1
                marker = '<sup><a href="#fn1">1</a></sup>' if kind == "footnote" else ""
                parts.append(f"<p>{number}. {text}{marker}</p>")
            elif kind == "bullet":
                parts.append(f"<ul><li>{text}</li></ul>")
            elif kind == "text":
                parts.append(f"<p>{text}</p>")
            elif kind == "continued":
                parts[-1] = parts[-1].replace("</p>", f" {text}</p>")
    parts.append("</div></main>")
    return "\n".join(parts)


# Working Together to Safeguard Children before and after 23 February 2024 ----------------

PARAGRAPH_48 = (
    "{partners} should agree how they will work together with relevant agencies to "
    "safeguard and promote the welfare of children in their area, and publish those "
    "arrangements so that practitioners, children and families know what to expect."
)
WELFARE = (
    "Safeguarding and promoting the welfare of children: protecting children from "
    "maltreatment, whether inside or outside the home, including online; preventing "
    "impairment of children's mental and physical health or development{more}."
)
PARENTS_GUIDANCE = (
    "Good practice guidance on working with parents with a learning disability: "
    "https://www.gov.uk/government/publications/working-with-parents-with-a-learning-"
    "disability-{year}"
)


def wttsc_pages(amended: bool) -> list:
    """170 pages whose 23 Feb 2024 edition changes exactly what its change note lists:
    page 26 paragraph 48, the panel's email on page 42, a glossary definition on page
    161 and a link on page 167."""
    pages = numbered_pages(3, 160)
    partners = "Lead safeguarding partners" if amended else "The safeguarding partners"
    pages[23][1] = ("para", PARAGRAPH_48.format(partners=partners))
    panel = "mailbox@childsafeguardingpanel.gov.uk" if amended else "mailbox@csprpanel.gov.uk"
    pages[39].append(("text", f"Contact the Child Safeguarding Practice Review Panel at {panel}."))
    glossary = [[("heading", "Glossary")]] + [[] for _ in range(9)]
    for number, page in enumerate(glossary):
        page += [
            ("text", f"Term {number}.{n}: {filler(number * 7 + n + 5000, 25)}") for n in range(3)
        ]
    more = "; and taking action to enable all children to have the best outcomes" if amended else ""
    glossary[0].append(("text", WELFARE.format(more=more)))
    glossary[6].append(("text", PARENTS_GUIDANCE.format(year="2021" if amended else "2016")))
    return pages + glossary


def write_demo_editions(folder: Path) -> None:
    """The sample PDFs `publisher demo` compares (run this module to remake them)."""
    title = "Working Together to Safeguard Children"
    for amended, edition, name in (
        (False, "December 2023", "wttsc-2023.pdf"),
        (True, "February 2024", "wttsc-2024.pdf"),
    ):
        (folder / name).write_bytes(guidance_pdf(wttsc_pages(amended), title, edition))


if __name__ == "__main__":
    write_demo_editions(
        Path(__file__).resolve().parent.parent / "publisher" / "sample_data" / "govuk"
    )
