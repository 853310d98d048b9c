"""wizard.text: the one way untrusted text is shown (terminal, widget, Markdown)."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from wizard.text import md, md_code, plain, visible

# Text an attacker or an unlucky operator can produce: markup, escape sequences,
# Markdown/HTML and odd Unicode, mixed with ordinary characters.
HOSTILE_SAMPLES = [
    "waiting for token [/]",
    "/[/]/",
    "[b]bold[/b] [link=http://x]x[/link] [@click=app.quit]q[/]",
    "\x1b]0;TITLE\x07",
    "\x1b[2J\x1b[3J\x1b[H",
    "\x1b[31mred\x1b[0m",
    "\x9b31m C1 CSI",
    "\x1bP+q544e\x1b\\",  # DCS request
    "a\rb",
    "tab\there",
    "\x7f\x00\x08",
    "\u202eevil\u202c txt.exe",
    "\u2066isolate\u2069",
    "zero\u200bwidth\ufeff",
    "line\u2028sep\u2029par",
    "\udc80 lone surrogate",
    "<b>bold</b> <img src=http://x/i.png> &amp; &lt;",
    "[link](http://example.invalid/) ![img](http://example.invalid/i.png)",
    "`code` ``two`` ```",
    "arn:aws:iam::123456789012:user/a`b",
    "| a | b |",
    "# heading",
    "    indented code",
    "1. one",
    "- item",
    "> quote",
    "***",
    "~~strike~~ $x^2$ *em* _em_ __strong__",
    "\\[escaped\\]",
    "family: \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "e\u0301\u0301\u0301 zalgo",
]

ALL_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)
MIXED = st.lists(st.one_of(st.sampled_from(HOSTILE_SAMPLES), ALL_TEXT), max_size=4).map("".join)


def _acts(ch: str) -> bool:
    """A character that acts on a terminal or a layout instead of showing itself."""
    return ch not in "\u200c\u200d" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")


@pytest.mark.parametrize("sample", HOSTILE_SAMPLES)
def test_visible_samples_hold_no_acting_character(sample: str) -> None:
    out = visible(sample)
    assert not any(_acts(c) for c in out)
    assert out.encode("utf-8")  # lone surrogates are escaped: always encodable


def test_visible_shows_the_escape_sequence_as_text() -> None:
    assert visible("\x1b]0;TITLE\x07") == "\\x1b]0;TITLE\\x07"
    assert visible("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert visible("\x9b\x7f") == "\\x9b\\x7f"
    assert visible("\u202eabc") == "\\u202eabc"
    assert visible("\U000e0001tag") == "\\U000e0001tag"
    assert visible("\udc80") == "\\udc80"
    assert visible(None) == "" and visible(42) == "42"
    # Ordinary text, markup included, is unchanged (visible is not markup escaping).
    assert visible("admin@example.com [/] ünïcödé 日本 \U0001f468\u200d\U0001f469") == \
        "admin@example.com [/] ünïcödé 日本 \U0001f468\u200d\U0001f469"


def test_plain_keeps_newlines_only() -> None:
    assert plain("a\nb\x1b[2Jc\r") == "a\nb\\x1b[2Jc\\r"


@settings(max_examples=400, deadline=None)
@given(MIXED)
def test_visible_property(s: str) -> None:
    out = visible(s)
    assert not any(_acts(c) for c in out)
    assert visible(out) == out  # already visible text stays as it is
    # Nothing is lost: every character of s is in the output, as itself or escaped.
    assert len(out) >= len(s)
    assert all(c in out or _acts(c) for c in s)
    p = plain(s)
    assert not any(_acts(c) for c in p if c != "\n")
    assert p.count("\n") == s.count("\n")


_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _rendered_paragraph(source: str) -> str:
    out = _MD.render(source)
    m = re.fullmatch(r"<p>(.*)</p>\n", out, re.S)
    assert m, f"not one paragraph: {source!r} -> {out!r}"
    return m.group(1)


@settings(max_examples=200, deadline=None)
@given(MIXED)
@example("<b>x</b>")
@example("[link](http://example.invalid/)")
@example("![img](http://example.invalid/i.png)")
@example("# not a heading")
@example("    not code")
@example("12) not a list")
@example("&amp; &#x41;")
def test_md_renders_as_the_visible_text(s: str) -> None:
    """Placed anywhere (start of a line or inside one), md(s) renders as one paragraph
    of text equal to visible(s): no tag, link, image, emphasis or block of its own."""
    want = visible(s)
    for prefix in ("", "x "):
        source = prefix + md(s)
        if not (prefix + want).strip():
            continue
        body = _rendered_paragraph(source)
        assert "<" not in body.replace("&lt;", ""), body
        # Markdown trims whitespace (NBSP too) at the ends of a paragraph; inside, all is kept.
        assert html.unescape(body).strip() == (prefix + want).strip()


@settings(max_examples=200, deadline=None)
@given(MIXED)
@example("arn:aws:iam::123456789012:user/a`b")
@example("`")
@example("`` ` ``")
@example(" a")
@example("a|b")
def test_md_code_holds_any_text(s: str) -> None:
    want = visible(s)
    if not want:
        assert md_code(s) == ""
        return
    body = _rendered_paragraph(f"x {md_code(s)} y")
    m = re.fullmatch(r"x <code>(.*)</code> y", body, re.S)
    assert m, body
    assert html.unescape(m.group(1)) == want
    # In a table cell the pipe does not split the cell.
    table = _MD.render(f"| h |\n|---|\n| {md_code(s, table=True)} |\n")
    cell = re.search(r"<td><code>(.*)</code></td>", table, re.S)
    assert cell, table
    assert html.unescape(cell.group(1)) == want


def test_md_table_cell_with_pipe_and_html_stays_one_cell() -> None:
    row = f"| {md('a | b <b>x</b> [l](http://e.invalid)')} | {md('second')} |"
    out = _MD.render(f"| one | two |\n|---|---|\n{row}\n")
    assert out.count("<td>") == 2
    assert "<b>" not in out and "<a " not in out
