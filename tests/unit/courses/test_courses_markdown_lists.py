"""Markdown as educators write it (GitHub, word processors): nested lists with 2-4 space indents,
lists straight under a line of text, code blocks inside lists and quotes. Checked by the structure
of the rendered HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courses.listindent import misaligned_list_lines, reindent_lists
from courses.render import render_markdown

BLOCKS = {"ul", "ol", "li", "pre", "blockquote", "p"}


class _Shape(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCKS:
            self.out.append(tag + "(")

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self.out.append(")")


def shape(html: str) -> str:
    """The nesting of block elements: '<ul><li>a</li></ul>' is 'ul(li())'."""
    parser = _Shape()
    parser.feed(html)
    return "".join(parser.out).replace(")(", ") (").replace("(", "(").replace(" ", "")


@pytest.mark.parametrize(("name", "markdown", "expected"), [
    ("2-space sub-list", "- Plan\n  - Set aims\n  - Predict\n- Do\n", "ul(li(ul(li()li()))li())"),
    ("3-space sub-list under a number", "1. Plan\n   - Set aims\n   - Predict\n2. Do\n", "ol(li(ul(li()li()))li())"),
    ("4-space sub-list", "- Plan\n    - Set aims\n- Do\n", "ul(li(ul(li()))li())"),
    ("ordered in unordered", "- Plan\n  1. First\n  2. Second\n- Do\n", "ul(li(ol(li()li()))li())"),
    ("three levels by 2 spaces", "- a\n  - b\n    - c\n", "ul(li(ul(li(ul(li())))))"),
    ("back out two levels", "- a\n  - b\n    - c\n- d\n", "ul(li(ul(li(ul(li()))))li())"),
    ("2-space sub-list under '10.'", "10. Ten\n  - sub\n11. Eleven\n", "ol(li(ul(li()))li())"),
    ("paragraph in an item by 2 spaces", "- Plan\n\n  More about planning.\n\n- Do\n", "ul(li(p()p())li(p()))"),
    ("list straight under text", "Steps:\n- Plan\n- Do\n", "p()ul(li()li())"),
    ("numbered list straight under text", "Steps:\n1. Plan\n2. Do\n", "p()ol(li()li())"),
    ("a year wrapped onto a line is not a list", "It began in\n2024. Then it grew.\n", "p()"),
    ("fenced code in a 2-space item", "- Run this:\n\n  ```python\n  print(1)\n  ```\n\n- Next\n",
     "ul(li(p()pre())li(p()))"),
    ("fenced code in a 4-space item", "- Run this:\n\n    ```\n    x = 1\n    ```\n", "ul(li(p()pre()))"),
    ("fenced code in a nested item", "- a\n  - b\n\n    ```\n    x\n    ```\n", "ul(li(ul(li(p()pre()))))"),
    ("fenced code in a quote", "> Quote:\n>\n> ```\n> x = 1\n> ```\n", "blockquote(p()pre())"),
    ("code indented 4 past an item's text is code in the item", "- a\n\n      code\n", "ul(li(pre()))"),
    ("indented code on its own", "Text\n\n    - not a list\n", "p()pre()"),
    ("2-space sub-list in a quote", "> - a\n>   - b\n> - c\n", "blockquote(ul(li(ul(li()))li()))"),
    ("list in a quote under a quote", "> a\n> > b\n>\n> - x\n>   1. y\n",
     "blockquote(p()blockquote(p())ul(li(ol(li()))))"),
    ("a line across is not a list", "- a\n\n- - -\n\n  Text after.\n", "ul(li())p()"),
    ("markers inside a fence are code", "```\n- a\n  - b\n```\n", "pre()"),
])
def test_lists_and_code_render_as_written(name, markdown, expected):
    assert shape(render_markdown(markdown)) == expected, render_markdown(markdown)


def test_indented_code_in_an_item_loses_only_the_item_indent():
    assert "<pre><code>code</code></pre>" in render_markdown("- a\n\n      code\n")


def test_code_keeps_its_language_and_its_own_indentation_inside_a_list():
    html = render_markdown("- Run:\n\n  ```python\n  if x:\n      y()\n  ```\n")
    assert '<code class="language-python">if x:\n    y()' in html


def test_text_without_lists_is_passed_through_unchanged():
    lines = ["Para", "  indented", "", "    code"]
    assert reindent_lists(lines) == lines


def test_a_wrapped_line_of_an_item_is_left_as_written():
    lines = ["- the person: skills,", "   knowledge;", "- tasks"]
    assert reindent_lists(lines) == lines


LIST_LINES = st.sampled_from([
    "- a", " - b", "  - c", "   - d", "    - e", "     - f", "1. x", " 10. y", "  1. n", "   10) z",
    "text", " text", "  text", "   text", "      text", "", "> q", "> - a", ">  - b", "  > q", "    > f",
    "```", "  ```", "\t- t", " \tx", "- - -", "* s", "+ p", "-", "2)",
])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LIST_LINES, max_size=8))
def test_the_w040_shortcut_finds_what_the_full_pass_finds(lines):
    found: list[tuple[int, int]] = []
    reindent_lists([line.expandtabs(4) for line in lines], found)
    assert misaligned_list_lines(lines) == found
