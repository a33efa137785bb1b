"""Untrusted HTML from feeds, made safe for pages, feeds and emails (nh3/Ammonia)."""

import html
import re
from urllib.parse import unquote

import nh3
from markupsafe import Markup
from selectolax.lexbor import LexborHTMLParser

from publisher.text import without_control_references, without_controls

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "div",  # kept, without attributes, so blocks of a summary do not run together
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},  # "3. Send it to governors" after a paragraph stays step 3
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Kept by nh3 only to be rewritten by _readable: an image (never its source) as its alt
# text, an h1 as an h2 and the other headings a level down (a page's h1 is its own title:
# a sheet's, an updates page's).
_REWRITTEN_TAGS = {"h1", "img"}
_REWRITTEN_ATTRIBUTES = {"img": {"alt"}}
# Text a reader cannot see: a link with only this is a link with no text.
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]*")
_SPACE = re.compile(r"\s+")


def clean_html(untrusted: str) -> Markup:
    """Keep simple structure and links (http, https, mailto only); drop scripts, styles,
    event handlers and anything else that could run, track or restyle. An image is shown
    as its alt text, an h1 as an h2 (the headings under it a level down), and a link left
    with no text shows its address. The
    result is marked safe for templates. Control characters that character references
    decode to are dropped too (text stored before the boundary dropped them)."""
    # Controls go before nh3 judges links: 'java&#1;script:' is a harmless relative link to
    # nh3, and would be 'javascript:' once the control was dropped after it.
    cleaned = nh3.clean(
        without_control_references(str(untrusted or ""), whole_escapes=False),
        tags=ALLOWED_TAGS | _REWRITTEN_TAGS,
        attributes={**ALLOWED_ATTRIBUTES, **_REWRITTEN_ATTRIBUTES},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(_readable(cleaned))


def _readable(cleaned: str) -> str:
    """Cleaned HTML with images as their alt text, h1 as h2, and every link with text
    (WCAG 2.4.4: an image link whose image is gone would otherwise be an empty link)."""
    if "<h1" not in cleaned and "<img" not in cleaned and "</a>" not in cleaned:
        return cleaned  # most HTML: not parsed again
    tree = LexborHTMLParser(f"<body>{cleaned}</body>")
    for image in tree.css("img"):
        image.replace_with(image.attributes.get("alt") or "")
    if tree.css_first("h1") is not None:  # every level one down, so '##' stays under '#'
        for heading in tree.css("h1, h2, h3, h4, h5"):  # h6 stays h6
            lower = tree.create_node(f"h{int(heading.tag[1]) + 1}")
            for child in list(heading.iter(include_text=True)):  # moved: nested ones too
                lower.insert_child(child, move=True)
            heading.replace_with(lower, move=True)
    for link in tree.css("a"):
        href = (link.attributes.get("href") or "").strip()
        if not href:  # 'href=""' (feeds write it), or a link nh3 found unsafe: just its text
            link.unwrap()
        elif _INVISIBLE.fullmatch(link.text()):
            link.inner_html = html.escape(link_address(href) or href)
    return tree.body.inner_html if tree.body else ""


def link_address(href: str) -> str:
    """A link's address as a person reads it: percent escapes decoded, and a mailto
    link's email address without ``mailto:``."""
    address = without_controls(unquote(href)).strip()
    scheme, colon, rest = address.partition(":")
    return rest if colon and scheme.lower() == "mailto" else address


def shows_its_address(text: str, href: str) -> bool:
    """Whether a link's text already is its address (so plain text need not repeat it)."""
    text = text.strip()
    address = link_address(href)
    if href.lower().startswith("mailto:"):
        return text.casefold() in (address.casefold(), unquote(href).casefold())
    return text in (href, address)


def html_to_text(untrusted: str) -> str:
    """Plain text of an HTML fragment, whitespace folded, for text emails and titles.

    Read once, as a browser would: an escaped tag in the source ("email &lt;dsl@school&gt;")
    is text that mentions angle brackets, and stays so. The result is text, never markup:
    outputs escape it."""
    text = html.unescape(nh3.clean(str(untrusted or ""), tags=set(), attributes={}))
    return _SPACE.sub(" ", without_controls(text)).strip()


def title_for_feed_readers(untrusted: str) -> str:
    """A title for our RSS and Atom feeds. Many feed readers take an item title as HTML
    once more, so tags are removed until none is left: an escaped tag in the source
    (``&lt;img onerror=...&gt;``) cannot come back to life there as markup."""
    text = html_to_text(untrusted)
    for _ in range(5):
        plain = html_to_text(text)
        if plain == text:
            break
        text = plain
    return text


_BOILERPLATE_BLOCK = re.compile(r"sociable|share|addtoany|social|feedflare|related-posts", re.I)
_BOILERPLATE_TEXT = re.compile(
    r"^\s*(share and enjoy|share this|the post .+ appeared first on|continue reading)", re.I | re.S
)


MAX_QUOTE_DEPTH = 3


def strip_boilerplate(untrusted: str) -> str:
    """Remove feed boilerplate: 'Share and Enjoy' link lists, share buttons, and
    'The post ... appeared first on ...' footers; quotes nested deeper than three levels
    are unwrapped (200 of them indent text off any screen, and mail clients drop our CSS)."""
    if not untrusted:
        return ""
    tree = LexborHTMLParser(f"<body>{untrusted}</body>")
    for node in tree.css(" ".join(["blockquote"] * (MAX_QUOTE_DEPTH + 1))):
        node.unwrap()
    for node in tree.css("[class], [id]"):
        marker = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if _BOILERPLATE_BLOCK.search(marker):
            node.decompose()
    for node in tree.css("p, div, ul, span"):
        if node.parent is not None and _BOILERPLATE_TEXT.match(node.text()):
            following = node.next
            while (
                following is not None and following.tag == "-text" and not following.text().strip()
            ):
                following = following.next
            if following is not None and following.tag in ("ul", "ol"):
                following.decompose()  # the list of share links under a "Share and Enjoy:" line
            node.decompose()
    return tree.body.inner_html if tree.body else ""


def feed_summary_html(untrusted: str) -> Markup:
    """A feed item's summary as every output shows it: boilerplate gone, then cleaned."""
    return clean_html(strip_boilerplate(untrusted))
