"""Reference parsing on change notes written in the style GOV.UK publishers use."""

import pytest

from publisher.refs import parse_note

WTTSC_FEB_2024 = (
    "Page 26, paragraph 48: amended the wording used to describe lead safeguarding partners\n"
    "Page 42: corrected the Child Safeguarding Practice Review Panel email address.\n"
    "Page 161: updated the glossary definition of 'safeguarding and promoting the welfare of "
    "children' to match that on pg 7 to 8\n"
    "Page 167: linked to the latest version of 'Good practice guidance on working with parents "
    "with a learning disability'."
)


def fields(reference):
    data = reference.to_dict()
    data.pop("text")
    return {key: value for key, value in data.items() if value is not None}


def test_wttsc_february_2024_note_gives_four_references():
    references = parse_note(WTTSC_FEB_2024)
    assert [fields(ref) for ref in references] == [
        {"page": 26, "paragraph": "48"},
        {"page": 42},
        {"page": 161},
        {"page": 167},
    ]
    assert references[0].text == (
        "Page 26, paragraph 48: amended the wording used to describe lead safeguarding partners"
    )
    assert references[2].text.endswith("to match that on pg 7 to 8")
    assert [ref.label() for ref in references] == [
        "page 26, paragraph 48",
        "page 42",
        "page 161",
        "page 167",
    ]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        # 1. The same list run together as sentences on one line.
        (
            "Page 26, paragraph 48: amended the wording. Page 42: corrected the email address.",
            [{"page": 26, "paragraph": "48"}, {"page": 42}],
        ),
        # 2. Bulleted with a preamble.
        (
            "We have made the following changes:\n- Page 12: clarified the role of the DSL\n"
            "- Page 14: added a link to the filtering and monitoring standards",
            [{"page": 12}, {"page": 14}],
        ),
        # 3. Semicolon-separated.
        (
            "Paragraph 103: updated; paragraph 137: added reference to the Prevent duty",
            [{"paragraph": "103"}, {"paragraph": "137"}],
        ),
        # 4. A range of paragraphs with a hyphen.
        (
            "Paragraphs 125-130 have been revised to reflect new filtering guidance.",
            [{"paragraph": "125", "paragraph_end": "130"}],
        ),
        # 5. A range of pages with 'to'.
        (
            "Pages 12 to 14: restructured the section on online safety.",
            [{"page": 12, "page_end": 14}],
        ),
        # 6. An en dash range.
        (
            "Updated paragraphs 49–52 on children missing from education.",
            [{"paragraph": "49", "paragraph_end": "52"}],
        ),
        # 7. Annex letters.
        ("Annex B: added information on child-on-child abuse.", [{"annex": "B"}]),
        # 8. Chapter and paragraph.
        (
            "Chapter 2, paragraph 79: education providers' role in local arrangements.",
            [{"chapter": "2", "paragraph": "79"}],
        ),
        # 9. Section numbers with dots.
        ("Section 3.2: updated the ratios for children aged 2.", [{"section": "3.2"}]),
        # 10. 'pg' abbreviation.
        ("pg 7: corrected a typo in the definition of safeguarding.", [{"page": 7}]),
        # 11. 'para' abbreviation.
        ("Para 48 amended to refer to lead safeguarding partners.", [{"paragraph": "48"}]),
        # 12. Numbered list.
        ("1. Page 5: new foreword\n2. Page 9: updated contents", [{"page": 5}, {"page": 9}]),
        # 13. Paragraphs joined by 'and'.
        # "and" makes a list, not a range: two references.
        ("Paragraphs 12 and 13: clarified wording.", [{"paragraph": "12"}, {"paragraph": "13"}]),
        # 14. Lower-case annex.
        ("Updated annex c (further information).", [{"annex": "C"}]),
        # 15. Dotted paragraph number.
        ("Paragraph 2.14 amended.", [{"paragraph": "2.14"}]),
        # 16. Page with a paragraph range.
        (
            "Page 33, paragraphs 98 to 101: new text on alternative provision.",
            [{"page": 33, "paragraph": "98", "paragraph_end": "101"}],
        ),
        # 17. Reference in the middle of the sentence.
        ("Added a new paragraph 211 about mobile phones in schools.", [{"paragraph": "211"}]),
        # 18. Roman chapter number.
        ("Chapter iv: revised.", [{"chapter": "4"}]),  # roman numerals read as numbers
        # 19. Bullets with the • character.
        ("• Page 3: updated\n• Annex A: removed outdated links", [{"page": 3}, {"annex": "A"}]),
        # 20. Two entries on one line, the second starting with 'Paragraph'.
        ("Page 10: new diagram. Paragraph 88: new example.", [{"page": 10}, {"paragraph": "88"}]),
    ],
)
def test_notes_with_references(note, expected):
    assert [fields(ref) for ref in parse_note(note)] == expected


@pytest.mark.parametrize(
    "note",
    [
        # 21-25. Notes that name no place in the document.
        "First published.",
        "Updated with the 2024 edition of the guidance, which comes into force on 1 September.",
        "Added a Welsh translation.",
        "Corrected broken links.",
        "Replaced the PDF with an accessible version.",
        # 26. A date with digits is not a page.
        "Guidance updated on 2 September 2024 following consultation.",
    ],
)
def test_notes_without_references_keep_their_text(note):
    [reference] = parse_note(note)
    assert fields(reference) == {}
    assert reference.text == note


def test_a_reference_free_entry_beside_located_ones_is_kept():
    references = parse_note("Page 3: updated contact details; also fixed broken links")
    assert [fields(ref) for ref in references] == [{"page": 3}, {}]
    assert references[1].text == "also fixed broken links"


def test_the_locator_before_the_colon_wins_over_later_mentions():
    [reference] = parse_note("Page 161: aligned with the definition on page 7 and paragraph 4")
    assert fields(reference) == {"page": 161}
