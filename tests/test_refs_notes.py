"""Reference parsing on 60+ change notes in the style DfE and Ofsted really write them
(paraphrased), class by class: lists, ranges, several places in one entry, every locator
kind, number words and roman numerals, other documents, locators after the verb."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.refs import KINDS, parse_note


def places(note: str) -> list[dict]:
    return [
        {key: value for key, value in ref.to_dict().items() if key != "text" and value is not None}
        for ref in parse_note(note)
    ]


NOTES = {
    # Lists are separate references; only to / - / – / — make a range.
    "paragraphs 141 and 210": (
        "Updated paragraphs 141 and 210 to reflect the new filtering standards.",
        [{"paragraph": "141"}, {"paragraph": "210"}],
    ),
    "Paras 51 and 52": (
        "Paras 51 and 52: clarified the role of governors.",
        [{"paragraph": "51"}, {"paragraph": "52"}],
    ),
    "Paragraphs 37 & 59": (
        "Paragraphs 37 & 59 amended.",
        [{"paragraph": "37"}, {"paragraph": "59"}],
    ),
    "Pages 98 and 112": ("Pages 98 and 112: corrected links.", [{"page": 98}, {"page": 112}]),
    "sections 1, 2 and 3": (
        "Revised sections 1, 2 and 3 for clarity.",
        [{"section": "1"}, {"section": "2"}, {"section": "3"}],
    ),
    "sections 1, 2, and 3 (Oxford comma)": (
        "Sections 1, 2, and 3 were reordered.",
        [{"section": "1"}, {"section": "2"}, {"section": "3"}],
    ),
    "paragraphs 14 or 15": (
        "Paragraph 14 or 15 (depending on edition) updated.",
        [{"paragraph": "14"}, {"paragraph": "15"}],
    ),
    "range with hyphen": (
        "Paragraphs 125-130 have been revised.",
        [{"paragraph": "125", "paragraph_end": "130"}],
    ),
    "range with to": ("Pages 12 to 14: restructured.", [{"page": 12, "page_end": 14}]),
    "range with en dash": (
        "Updated paragraphs 49–52.",
        [{"paragraph": "49", "paragraph_end": "52"}],
    ),
    "range with em dash": (
        "Paragraphs 49—52 updated.",
        [{"paragraph": "49", "paragraph_end": "52"}],
    ),
    "range with spaces": ("Pages 20 - 22: new flowchart.", [{"page": 20, "page_end": 22}]),
    "range then list": (
        "Paragraphs 10 to 12 and 15: updated.",
        [{"paragraph": "10", "paragraph_end": "12"}, {"paragraph": "15"}],
    ),
    "reversed range": ("Pages 14 to 12: typo fixed.", [{"page": 12, "page_end": 14}]),
    # Several locators in one entry.
    "two page-paragraph pairs": (
        "Page 61 paragraph 206 and page 62 paragraph 210: updated the wording on early help.",
        [{"page": 61, "paragraph": "206"}, {"page": 62, "paragraph": "210"}],
    ),
    "page with two paragraphs": (
        "Page 26, paragraphs 48 and 49: amended wording.",
        [{"page": 26, "paragraph": "48"}, {"page": 26, "paragraph": "49"}],
    ),
    "chapter then paragraph": (
        "Chapter 2, paragraph 79: clarified responsibilities of education providers.",
        [{"chapter": "2", "paragraph": "79"}],
    ),
    "part and paragraph": (
        "Part two, paragraph 138: updated on filtering and monitoring.",
        [{"part": "2", "paragraph": "138"}],
    ),
    "annex and page": (
        "Annex B, page 150: added a section on child-on-child abuse.",
        [{"annex": "B", "page": 150}],
    ),
    "chapter, two pages": (
        "Chapter 3 (pages 40 and 44): corrected references.",
        [{"chapter": "3", "page": 40}, {"chapter": "3", "page": 44}],
    ),
    "three pages in a sentence": (
        "We corrected broken links on pages 12, 18 and 27.",
        [{"page": 12}, {"page": 18}, {"page": 27}],
    ),
    # Locator kinds.
    "Part 2": ("Part 2: updated.", [{"part": "2"}]),
    "part five": ("Amended part five to add information on online safety.", [{"part": "5"}]),
    "(part 1)": ("Added a new paragraph on mobile phones (part 1).", [{"part": "1"}]),
    "Part II": ("Part II has been rewritten.", [{"part": "2"}]),
    "Parts 3 and 4": ("Parts 3 and 4 merged.", [{"part": "3"}, {"part": "4"}]),
    "Appendix 1": ("Appendix 1: updated contact details.", [{"appendix": "1"}]),
    "appendix B": ("Added appendix B with a model policy.", [{"appendix": "B"}]),
    "appendices A and C": ("Appendices A and C updated.", [{"appendix": "A"}, {"appendix": "C"}]),
    "annexes": ("Annexes A and B updated.", [{"annex": "A"}, {"annex": "B"}]),
    "annexe spelling": ("Annexe C: new glossary entries.", [{"annex": "C"}]),
    "chapters plural": ("Chapters 4 and 5: revised.", [{"chapter": "4"}, {"chapter": "5"}]),
    "chapter roman": ("Chapter IV: revised.", [{"chapter": "4"}]),
    "chapter words": ("Chapter three updated.", [{"chapter": "3"}]),
    "section letter": ("Section B: new information on Prevent.", [{"section": "B"}]),
    "section dotted": (
        "Section 2.3 updated to reflect the Online Safety Act.",
        [{"section": "2.3"}],
    ),
    "paragraph dotted": ("Paragraph 3.14: amended.", [{"paragraph": "3.14"}]),
    "paragraph with letter": ("Paragraph 67a added.", [{"paragraph": "67a"}]),
    "pg abbreviation": ("pg 7: typo corrected.", [{"page": 7}]),
    "pp abbreviation": ("pp. 30-31: new diagram.", [{"page": 30, "page_end": 31}]),
    "para abbreviation": ("Para 88: updated.", [{"paragraph": "88"}]),
    "pilcrow": ("¶ 12 amended.", [{"paragraph": "12"}]),
    "page words": ("Page twelve: corrected a date.", [{"page": 12}]),
    "capitals": ("PAGE 9, PARAGRAPH 21: UPDATED.", [{"page": 9, "paragraph": "21"}]),
    # References to other documents are not locations in this one.
    "section of an Act": (
        "Updated to reflect section 42 of the Children and Families Act 2014.",
        [],
    ),
    "regulation of Regulations": (
        "Page 30: now refers to regulation 5 of the School Staffing (England) Regulations 2009.",
        [{"page": 30}],
    ),
    "paragraph of Schedule": (
        "Clarified paragraph 3 of Schedule 2 to the Act.",
        [],
    ),
    "section of the Education Act, then a real page": (
        "Page 88: added a reference to section 175 of the Education Act 2002.",
        [{"page": 88}],
    ),
    "part of an Act": ("Explained duties under part 3 of the Children Act 1989.", []),
    "section of this guidance is ours": (
        "Section 4 of this guidance has been updated.",
        [{"section": "4"}],
    ),
    # Locators after the verb or in brackets still count.
    "after the verb": (
        "Clarified paragraphs 14 and 22.",
        [{"paragraph": "14"}, {"paragraph": "22"}],
    ),
    "footnote on page": ("Updated footnote 12 on page 35.", [{"page": 35}]),
    "in brackets": ("Corrected a typo (page 4).", [{"page": 4}]),
    "in square brackets": ("Corrected a date [paragraph 19].", [{"paragraph": "19"}]),
    # Prefixes: only the part before the colon counts when it holds a locator.
    "colon prefix only": (
        "Page 161: updated the glossary to match that on pg 7 to 8",
        [{"page": 161}],
    ),
    # Notes without references.
    "no references": ("Updated guidance.", []),
    "replaced pdf": ("Replaced the PDF with an accessible version.", []),
    "first published": ("First published.", []),
    "a page of the website": ("Added a link to the web page.", []),
    "numbers that are not places": ("Updated for the 2024 to 2025 academic year.", []),
    "part of speech": ("Made part of the guidance clearer.", []),
    "annual figures": ("Added 2023 data on 15 cases.", []),
    # Whole notes.
    "bulleted note": (
        "We have made the following changes:\n"
        "- page 12: clarified the role of the DSL\n"
        "- pages 14 and 15: added links\n"
        "- annex C: updated",
        [{"page": 12}, {"page": 14}, {"page": 15}, {"annex": "C"}],
    ),
    "sentences on one line": (
        "Page 26, paragraph 48: amended. Page 42: corrected the email address.",
        [{"page": 26, "paragraph": "48"}, {"page": 42}],
    ),
    "semicolons": (
        "Paragraph 103: updated; paragraphs 137 and 140: added references to Prevent",
        [{"paragraph": "103"}, {"paragraph": "137"}, {"paragraph": "140"}],
    ),
    # A page given after its paragraph places that paragraph, not the next one.
    "paragraph (page) twice": (
        "Paragraph 14 (page 8) and paragraph 20 (page 10) updated.",
        [{"page": 8, "paragraph": "14"}, {"page": 10, "paragraph": "20"}],
    ),
    "paragraph on page twice": (
        "Paragraph 14 on page 8 and paragraph 20 on page 10: clarified.",
        [{"page": 8, "paragraph": "14"}, {"page": 10, "paragraph": "20"}],
    ),
    "paragraphs in annexes": (
        "Paragraph 3 in Annex A and paragraph 5 in Annex B amended.",
        [{"annex": "A", "paragraph": "3"}, {"annex": "B", "paragraph": "5"}],
    ),
    "a list keeps its page": (
        "Page 8 paragraphs 14 and 20, page 10",
        [{"page": 8, "paragraph": "14"}, {"page": 8, "paragraph": "20"}, {"page": 10}],
    ),
    # After "Page 5:", places that start the rest belong to it; later mentions do not.
    "page then paragraph after the colon": (
        "Page 5: para 3 added. Page 6: paragraphs 4 and 7 removed",
        [
            {"page": 5, "paragraph": "3"},
            {"page": 6, "paragraph": "4"},
            {"page": 6, "paragraph": "7"},
        ],
    ),
    "page then a range after the colon": (
        "Page 12: paras 30 to 32 now say 'must'",
        [{"page": 12, "paragraph": "30", "paragraph_end": "32"}],
    ),
    "unicode digits are no page": ("Page ²: amended; page ① too; page 3", [{"page": 3}]),
    # A page given after a list places the whole list.
    "paragraphs (page)": (
        "Paragraphs 3 and 4 (page 8) updated",
        [{"page": 8, "paragraph": "3"}, {"page": 8, "paragraph": "4"}],
    ),
    "three paragraphs (page)": (
        "Paragraphs 3, 4 and 5 (page 8) updated",
        [{"page": 8, "paragraph": p} for p in ("3", "4", "5")],
    ),
    # A place named later in the sentence is a place of its own, not this paragraph's.
    "a later mention": (
        "Paragraph 48 amended to match the definition on page 7",
        [{"paragraph": "48"}, {"page": 7}],
    ),
    "a later mention after a page": (
        "Page 26, paragraph 48 amended to match the wording on page 7",
        [{"page": 26, "paragraph": "48"}, {"page": 7}],
    ),
}


@pytest.mark.parametrize("name", list(NOTES))
def test_real_notes(name):
    note, expected = NOTES[name]
    located = [place for place in places(note) if place]
    assert located == expected


def test_there_are_at_least_60_notes():
    assert len(NOTES) >= 60


@pytest.mark.parametrize(
    ("note", "label"),
    [
        ("Annexes A to C updated", "annexes A to C"),
        ("Appendices 1 to 3 updated", "appendices 1 to 3"),
        ("Pages 4 to 6 updated", "pages 4 to 6"),
        ("Sections 2 to 3 updated", "sections 2 to 3"),
    ],
)
def test_labels_say_plurals_as_people_do(note, label):
    assert parse_note(note)[0].label() == label


def test_the_text_of_each_entry_is_kept():
    [first, second] = parse_note("Page 61 paragraph 206 and page 62 paragraph 210: updated.")
    assert first.text == second.text == "Page 61 paragraph 206 and page 62 paragraph 210: updated."


@pytest.mark.parametrize(
    "note",
    ["Page 1.2.3: x", "Page " + "9" * 400 + ": amended", "Paragraph " + "1." * 200, "Page -1", ""],
)
def test_odd_numbers_never_crash(note):
    parse_note(note)


@given(st.text())
def test_no_note_crashes_the_parser_and_ranges_run_forwards(note):
    for reference in parse_note(note):
        for kind in KINDS:
            start, end = getattr(reference, kind), getattr(reference, f"{kind}_end")
            if end is not None:
                assert start is not None
                if isinstance(start, int):
                    assert end > start


@given(
    st.lists(
        st.sampled_from(
            ["page", "paragraph", "para", "section", "part", "annex", "and", "to", ",", "-"]
        )
        | st.integers(0, 10**6).map(str)
        | st.sampled_from(["B", "iv", "five", "3.2", "of the Education Act", ":", "\n"]),
        max_size=30,
    )
)
def test_locator_soup_never_crashes(words):
    parse_note(" ".join(words))
