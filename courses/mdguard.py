"""Guards that keep Python-Markdown from running without end on an author's text.

``BlocksReentryExtension`` fixes the one loop we know. pymdownx.blocks, when it finds a
``///`` opening line after other text in the same block, parses that text while it is still
testing the block, after noting the opening it found. If that text opens a block of its own
once a list, definition or quote marker is taken off ("- ///details", ": /// note",
"> /// tab"), the inner block uses up the noted opening; the outer block then runs with
nothing noted, consumes nothing and reports success, and the block parser tries the same
block again for ever, adding a copy of the text each time (or, when an unclosed block is
still open, nests copies until Markdown's depth limit stops it). The guard notices the lost
opening and, instead of running the block processor without it, gives the parser the rest of
the block from the opening line on (the text in front of it is already parsed), so the block
comes out as it would had nothing been lost.

``StepBudgetExtension`` is for the loops nobody has found yet: it counts the runs of block
processors in one conversion and raises ``MarkdownTooComplex`` when a document uses far more
than its length can need. The count is deterministic, so a cached compile stays right, and
costs one Python call per block run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

# block processor runs allowed for a document of n lines: BASE + PER_LINE * n. Lessons use at
# most about one a line (measured on content/ and the bench course: 140 at most, for 174 lines)
BASE_STEPS = 1_000
PER_LINE_STEPS = 10


class MarkdownFailed(Exception):
    """Python-Markdown or one of its extensions could not render a document."""


class MarkdownTooComplex(MarkdownFailed):
    """A document needed more block-parsing steps than its length allows (a parser loop)."""


class BlocksReentryExtension(Extension):
    """Keep pymdownx.blocks from looping when the text before a ``///`` opening line opens a
    block itself (load after the pymdownx.blocks extensions)."""

    def extendMarkdown(self, md: Markdown) -> None:
        if "blocks" in md.parser.blockprocessors:
            _guard_blocks(md.parser.blockprocessors["blocks"])


def _guard_blocks(processor: Any) -> None:
    test, run = processor.test, processor.run
    # where the lost opening starts in the block just tested; read by the run that follows
    resume: list[int | None] = [None]

    def guarded_test(parent: Any, block: str) -> bool:
        if not test(parent, block):
            return False
        if processor.cached_block is None and processor.cached_parent is None:
            resume[0] = processor.start.search(block).start()
        return True

    def guarded_run(parent: Any, blocks: list[str]) -> bool | None:
        offset, resume[0] = resume[0], None
        if offset is None:
            return run(parent, blocks)
        blocks[0] = blocks[0][offset:].lstrip("\n")
        return None

    processor.test, processor.run = guarded_test, guarded_run


class StepBudgetExtension(Extension):
    """Raise ``MarkdownTooComplex`` when one conversion runs block processors more than
    ``BASE_STEPS + PER_LINE_STEPS`` times its number of lines (load last)."""

    def extendMarkdown(self, md: Markdown) -> None:
        budget = _Budget(md)
        # before every other preprocessor, so it counts the lines as the author wrote them
        md.preprocessors.register(budget, "step_budget", 1000)
        for processor in md.parser.blockprocessors:
            processor.run = _counted(processor.run, budget)


class _Budget(Preprocessor):
    left = 0

    def run(self, lines: list[str]) -> list[str]:
        self.left = BASE_STEPS + PER_LINE_STEPS * len(lines)
        return lines


def _counted(run: Callable[..., Any], budget: _Budget) -> Callable[..., Any]:
    def counted(parent: Any, blocks: list[str]) -> Any:
        budget.left -= 1
        if budget.left < 0:
            raise MarkdownTooComplex("Markdown ran out of block-parsing steps")
        return run(parent, blocks)
    return counted
