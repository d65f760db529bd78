"""Markdown instances that leave out what a document cannot use.

Every processor Python-Markdown and its extensions register looks at every document: each
inline pattern is tried on every run of text, each block processor tests every block. Most
lessons use a handful of constructs, so most of that work finds nothing. ``MarkdownPool``
gives each document an instance with the course extensions minus the processors of every
feature whose syntax cannot occur in it, which a substring search of the source proves.

Leaving out a processor is only safe when it would have changed nothing: each trigger below
is a string without which the processor's patterns cannot match (or, for the reference
links, without which no reference can be defined, so they match and do nothing). Markdown
expands tabs, turns carriage returns into newlines and drops STX/ETX before anything else
reads the text; a document holding any of those gets the full set, so the search runs on
what the processors read. tests/unit/courses/test_markdown_subsets.py compares both outputs
on generated documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import markdown

# a line that could underline a heading, or define a term (searched for in "\n" + text)
_RE_SETEXT = re.compile(r"\n[ >]*[=-]")
_RE_DEFINITION = re.compile(r"\n[ >*+\-.)\d:]*:")
# changed by Markdown before any processor reads the text (see the module docstring)
_NORMALISED = ("\t", "\r", "\x02", "\x03")

# feature -> (what shows a document may use it: substrings or patterns,
#             the (registry, name) of its processors)
FEATURES: dict[str, tuple[tuple[str | re.Pattern[str], ...], tuple[tuple[str, str], ...]]] = {
    "code spans": (("`", "\\"), (("inline", "backtick"),)),
    "escapes": (("\\",), (("inline", "escape"), ("tree", "unescape"))),
    "footnotes": (("[^",), (("inline", "footnote"), ("block", "footnote"), ("tree", "footnote"),
                            ("tree", "footnote-duplicate"), ("post", "footnote"))),
    # with no definition ("[id]: url") the reference patterns match but change nothing
    "references": (("]:",), (("inline", "reference"), ("inline", "image_reference"),
                             ("inline", "short_reference"), ("inline", "short_image_ref"),
                             ("block", "reference"))),
    "links": (("[",), (("inline", "link"),)),
    "images": (("![",), (("inline", "image_link"),)),
    "inline html": (("<",), (("inline", "autolink"), ("inline", "automail"), ("inline", "html"))),
    # the HTML block reader also completes character references ("&#39" -> "&#39;")
    "html blocks": (("<", "&"), (("pre", "html_block"),)),
    "entities": (("&",), (("inline", "entity"),)),
    # the HTML block reader ends the line before a block tag, so "  <div>" leaves "  \n"
    "line breaks": (("  \n", "  <"), (("inline", "linebreak"),)),
    "tables": (("|",), (("block", "table"),)),
    # "///" blocks make the elements these three continue, so they count as a use
    "admonitions": (("!!!", "///"), (("block", "admonition"),)),
    "details": (("???", "///"), (("block", "details"),)),
    "tabs": (("===", "///"), (("block", "tabbed"),)),
    "blocks": (("///",), (("block", "blocks"), ("tree", "blocks_on_inline_end"))),
    "fences": (("```", "~~~"), (("pre", "fenced_code_block"),)),
    "abbreviations": (("*[",), (("block", "abbr"), ("tree", "abbr"))),
    # SuperFences keeps a fence's options as attributes only while attr_list is registered
    "attribute lists": (("{", "```", "~~~"), (("tree", "attr_list"),)),
    "hash headings": (("#",), (("block", "hashheader"),)),
    "setext headings": ((_RE_SETEXT,), (("block", "setextheader"),)),
    "heading ids": (("#", "[TOC]", _RE_SETEXT), (("tree", "toc"),)),
    # a footnote's text is read as blocks of its own, so "[^1]: : x" could define a term
    "definition lists": (("[^", _RE_DEFINITION), (("block", "deflist"), ("block", "defindent"))),
    "quotes": ((">",), (("block", "quote"),)),
}
_TRIGGERS = {trigger for triggers, _ in FEATURES.values() for trigger in triggers}


def _registry(md: markdown.Markdown, kind: str) -> Any:
    return {"pre": md.preprocessors, "block": md.parser.blockprocessors,
            "inline": md.inlinePatterns, "tree": md.treeprocessors,
            "post": md.postprocessors}[kind]


def unused_features(text: str) -> frozenset[str]:
    """The features of ``FEATURES`` that ``text`` provably does not use."""
    if any(char in text for char in _NORMALISED):
        return frozenset()
    lines = "\n" + text
    found = {trigger for trigger in _TRIGGERS
             if (trigger in text if isinstance(trigger, str) else trigger.search(lines))}
    return frozenset(name for name, (triggers, _) in FEATURES.items()
                     if found.isdisjoint(triggers))


class MarkdownPool:
    """Markdown instances with ``extensions``, one per set of features left out (not
    thread-safe: the caller holds a lock). At most ``limit`` instances are kept; documents
    needing another set get the full instance, which gives the same HTML, only slower."""

    def __init__(self, extensions: Sequence[Any], configs: Mapping[str, Mapping[str, Any]],
                 limit: int = 64) -> None:
        self._extensions = extensions
        self._configs = configs
        self._limit = limit
        self.full = self._make(frozenset())
        self._instances: dict[frozenset[str], markdown.Markdown] = {frozenset(): self.full}

    def _make(self, unused: frozenset[str]) -> markdown.Markdown:
        md = markdown.Markdown(extensions=self._extensions, extension_configs=self._configs)
        for name in unused:
            for kind, processor in FEATURES[name][1]:
                _registry(md, kind).deregister(processor)
        return md

    def for_text(self, text: str) -> markdown.Markdown:
        """An instance (reset) that converts ``text`` exactly as the full one would."""
        unused = unused_features(text)
        md = self._instances.get(unused)
        if md is None:
            if len(self._instances) >= self._limit:
                md = self.full
            else:
                md = self._instances[unused] = self._make(unused)
        md.reset()
        return md

    def convert(self, text: str) -> str:
        """``text`` as HTML, from the instance ``for_text`` gives."""
        md = self.for_text(text)
        try:
            return md.convert(text)
        except BaseException:
            # an instance stopped in the middle of a document may keep some of its state
            self._forget(md)
            raise

    def _forget(self, md: markdown.Markdown) -> None:
        for unused, kept in list(self._instances.items()):
            if kept is md:
                del self._instances[unused]
        if md is self.full:
            self.full = self._instances[frozenset()] = self._make(frozenset())
