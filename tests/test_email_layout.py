"""The emails as a reader sees them: rendered in headless Chromium at a desktop mail
client's width (600 px) and a phone's (390 px)."""

import email
import email.policy

import pytest

pytestmark = pytest.mark.browser

WIDTHS = [600, 390]

# Every text node of the rendered email: literal tags ("<h2>", "</b>") and words that the
# layout split across two lines ("Complete|d By"). Words longer than 24 characters
# (web addresses) may wrap.
READER_PROBLEMS = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const literalTags = [], brokenWords = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const style = getComputedStyle(node.parentElement);
    if (style.display === "none" || style.visibility === "hidden") continue;
    if (node.parentElement.closest("[style*='display:none'], .preheader")) continue;
    if (/<\\/?[a-z][a-z0-9]*[\\s>\\/]/i.test(node.data)) literalTags.push(node.data.trim());
    for (const match of node.data.matchAll(/\\S+/g)) {
      if (match[0].length > 24) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const boxes = [...range.getClientRects()].filter(r => r.width > 0);
      if (new Set(boxes.map(r => Math.round(r.top))).size > 1) brokenWords.push(match[0]);
    }
  }
  return {literalTags, brokenWords, overflow: document.documentElement.scrollWidth - innerWidth};
}"""


def demo_emails(demo_site) -> dict[str, str]:
    """The HTML part of one email of each kind the demo sends."""
    outbox = demo_site / "outbox"
    kinds = {
        "MI sheet": next(outbox.glob("Jo-Patel*MI-1-24*.eml")),
        "bulletin": next(outbox.glob("Jo-Patel*bulletin*.eml")),
        "alert": next(outbox.glob("*Statutory-guidance-changed*.eml")),
    }
    emails = {
        kind: email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        .get_body(("html",))
        .get_content()
        for kind, path in kinds.items()
    }
    return emails | {"school alert": school_alert_html(demo_site)}


def school_alert_html(demo_site) -> str:
    """The email `check` sends immediate subscribers about the demo's WTTSC change (the
    demo itself does not run check)."""
    from publisher.config import load_config
    from publisher.render import Renderer
    from publisher.school_alerts import school_alert_letter
    from publisher.sending import message_id_for, personalise
    from publisher.sources import source_kinds
    from publisher.store import Store
    from publisher.subscribers import Subscriber

    config = load_config(demo_site / "feeds.yaml", source_kinds())
    store = Store(demo_site / "publisher-data")
    try:
        letter = school_alert_letter(Renderer(config), config, store.change(1))
        reader = Subscriber("dsl@oak-primary.example", "Jo Patel", "Oak Primary School")
        message_id = message_id_for(letter.key, reader.email, config)
        message = personalise(letter, reader, config, message_id, store.data_dir)
    finally:
        store.close()
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    return parsed.get_body(("html",)).get_content()


@pytest.mark.parametrize("width", WIDTHS)
def test_emails_show_no_tags_and_break_no_words(demo_site, chromium, width, tmp_path):
    page = chromium.new_page(viewport={"width": width, "height": 900})
    try:
        for kind, html in demo_emails(demo_site).items():
            page.set_content(html)
            problems = page.evaluate(READER_PROBLEMS)
            assert problems["literalTags"] == [], f"{kind} at {width} px shows tags"
            assert problems["brokenWords"] == [], f"{kind} at {width} px breaks words"
            assert problems["overflow"] <= 0, f"{kind} at {width} px scrolls sideways"
            page.screenshot(path=tmp_path / f"{kind}-{width}.png", full_page=True)
    finally:
        page.close()


def test_the_mi_deadline_is_a_callout_above_the_fields(demo_site, chromium):
    page = chromium.new_page(viewport={"width": 390, "height": 900})
    try:
        page.set_content(demo_emails(demo_site)["MI sheet"])
        callout = page.get_by_text("To be completed by 12 January 2024")
        assert callout.is_visible()
        label = page.get_by_text("MI sheet type", exact=True)
        assert callout.bounding_box()["y"] < label.bounding_box()["y"]
        assert callout.evaluate("node => getComputedStyle(node).fontWeight") == "700"
    finally:
        page.close()
