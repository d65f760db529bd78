"""An instance without the processors a document cannot use gives the same HTML as the full one."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.mdsubset import FEATURES, MarkdownPool, unused_features
from courses.render import EXTENSION_CONFIGS, EXTENSIONS

# every construct of the course extensions, and near misses of their syntax
FRAGMENTS = [
    "Plain words here.", "*em* and **strong** and _u_ and __s__ here", "# Heading", "### Heading ###",
    "Heading\n=======", "Heading\n---", "Heading\n  ==", "---", "- - -", "***", "___", "=",
    "[link](https://example.org)", "[link](<a b>)", "[ref][r]", "[r]", "[R] and [x][]",
    '[r]: https://example.org "Title"', "[r]:\n    https://example.org", "![image](a.png)",
    "![alt][r]", "![r]", "`code`", "``co`de``", "\\*not em\\*", "\\\\", "a \\` b",
    "<b>bold</b>", "<div>\nblock\n</div>", "<https://example.org>", "<me@example.org>",
    "a < b > c", "<!-- comment -->", "&amp;", "&#39", "&#39;", "AT&T", "&copy", "a & b",
    "line end  \nnext", "trailing  ", "two  \n", "| a | b |\n|---|---|\n| 1 | 2 |",
    "a | b\n--|--\n1 | 2", "| x |", "a | b", "|", "!!! note\n    Inside.", '!!! tip "Title"',
    "!!!", '??? note "Summary"\n    Hidden.', "???+ note\n    Open.", "???",
    '=== "One"\n    Tab one.\n\n=== "Two"\n    Tab two.', "===", "/// details | S\nText\n///",
    "/// tab | T\nx\n///", "/// note\nN\n///", "/// admonition | T\n    type: tip\n\nx\n///",
    "///", "```python\nx = 1\n```", '```python title="T" data-x="y"\nx\n```', "``` {.python #c}\nx\n```",
    "~~~ text hl_lines=\"1\"\nx\n~~~", "~~~\ncode\n~~~", "```", "    indented code",
    "Text[^1].", "[^1]: Note.", "[^x]:\n    More.", "[^", "*[HTML]: Hyper Text Markup",
    "HTML here", "*[", "{: .x }", "Para\n{: #anchor }", "*em*{: .c }", "{", "## H {#h}",
    "Term\n: Definition", ": lone colon", "Hint: a colon", "Term\n:   Def\n\n    More.",
    "[TOC]", "> quote", "> - in a quote", ">> nested", "> a\n> ---", "- item", "1. item",
    "    - nested", "  - two in", "* star", "+ plus", "1) paren", "10. ten", "- [ ] box",
    "Text\n- list after text", "", " ",
]
PREFIXES = ["", "  ", "    ", "> ", "- ", "1. ", ": ", "[^1]: ", "!!! note\n    "]


def _prefixed(prefix: str, fragment: str) -> str:
    """``fragment`` under ``prefix``: markers go on its first line, indents and quotes on all."""
    if prefix.strip() in ("", ">"):
        return "\n".join(prefix + line for line in fragment.split("\n"))
    if prefix.startswith("!!!"):
        return prefix + fragment.replace("\n", "\n    ")
    return prefix + fragment.replace("\n", "\n" + " " * len(prefix))


@pytest.fixture(scope="module")
def pool() -> MarkdownPool:
    return MarkdownPool(EXTENSIONS, EXTENSION_CONFIGS, limit=10_000)


def _assert_same(pool: MarkdownPool, text: str) -> None:
    full = pool.full
    full.reset()
    expected = full.convert(text)
    assert pool.for_text(text).convert(text) == expected, (text, sorted(unused_features(text)))


def test_each_construct_under_each_prefix(pool):
    for prefix, fragment in itertools.product(PREFIXES, FRAGMENTS):
        for text in (_prefixed(prefix, fragment), f"Intro text\n{_prefixed(prefix, fragment)}\n",
                     f"Intro text\n\n{_prefixed(prefix, fragment)}\n\nOutro"):
            _assert_same(pool, text)


def test_each_pair_of_constructs(pool):
    for first, second in itertools.product(FRAGMENTS, repeat=2):
        _assert_same(pool, f"{first}\n{second}")
        _assert_same(pool, f"{first}\n\n    {second}")


PIECES = st.tuples(st.sampled_from(PREFIXES), st.sampled_from(FRAGMENTS),
                   st.sampled_from(["\n", "\n\n", " ", "  \n"]))
DOCUMENTS = st.lists(st.one_of(PIECES.map(lambda p: _prefixed(p[0], p[1]) + p[2]),
                               st.text(alphabet="ab :-=|>#*_[]()!?/{}<&;`\\^ \n\x0c\u2028", max_size=30)),
                     max_size=8).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DOCUMENTS)
def test_generated_documents(pool, text):
    _assert_same(pool, text)


def test_plain_prose_leaves_out_most_features():
    unused = unused_features("Some *plain* prose, with [a link](https://example.org).\n\n- and a list\n")
    assert {"tables", "footnotes", "fences", "code spans", "inline html", "admonitions",
            "blocks", "abbreviations", "attribute lists", "hash headings"} <= unused
    assert "links" not in unused and "heading ids" not in unused  # "- " could underline a heading


@pytest.mark.parametrize("char", ["\t", "\r", "\x02", "\x03"])
def test_text_markdown_normalises_gets_every_feature(char):
    assert unused_features(f"Plain{char}prose") == frozenset()


def test_every_feature_names_registered_processors(pool):
    md = pool.full
    registries = {"pre": md.preprocessors, "block": md.parser.blockprocessors,
                  "inline": md.inlinePatterns, "tree": md.treeprocessors, "post": md.postprocessors}
    for _, processors in FEATURES.values():
        for kind, name in processors:
            assert name in registries[kind]


def test_instances_are_kept_up_to_the_limit():
    small = MarkdownPool(EXTENSIONS, EXTENSION_CONFIGS, limit=2)
    first = small.for_text("Plain.")
    assert small.for_text("Also plain.") is first
    assert small.for_text("A [link](x).") is small.full  # a third set: the full instance
    assert small.for_text("A [link](x).").convert("A [link](x).") == '<p>A <a href="x">link</a>.</p>'
