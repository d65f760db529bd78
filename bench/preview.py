"""Benchmark: previewing one edited lesson of content/innovation-in-practice.

Reproduce with:

    .venv/bin/python bench/preview.py [--repeat 5]

As in the editor: the course was compiled once with a content cache (as publishing does),
then one lesson is edited and ``courses.preview.preview_lesson`` compiles the course with
the edit (every file's ids and the checks across files; only the edited lesson is linked
and finished). Each run changes a different sentence, so the edited lesson is never in the cache;
every other file is. Figures are the best and the median of ``--repeat`` runs. The last line
is ``preview_ms: N`` (the best, wall-clock).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from courses import CompileCache, FolderSource, compile_source  # noqa: E402
from courses.preview import preview_lesson  # noqa: E402

LESSON = "02-understanding-problems/04-pdsa-cycles.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    source = FolderSource(ROOT / "content" / "innovation-in-practice")
    original = source.read(LESSON).decode("utf-8")
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = CompileCache(cache_dir)
        started = time.perf_counter()
        compile_source(source, cache=cache)
        print(f"first compile, empty cache: {(time.perf_counter() - started) * 1000:.0f} ms")
        times = []
        for run in range(args.repeat):
            edited = original.replace("\n\n", f"\n\nA sentence added in run {run}.\n\n", 2)
            started = time.perf_counter()
            preview = preview_lesson(source, LESSON, edited, cache=cache)
            times.append((time.perf_counter() - started) * 1000)
            assert preview.lesson is not None and f"run {run}" in "".join(preview.lesson.html.values())
    lessons = sum(1 for path in source.all_files() if path.count("/") == 1
                  and path.endswith(".md") and not path.endswith("/module.md"))
    print(f"course: {lessons} lessons; edited: {LESSON} ({len(preview.file_findings)} findings)")
    print(f"preview of one edited lesson: best {min(times):.0f} ms, median "
          f"{statistics.median(times):.0f} ms over {args.repeat} runs")
    print(f"preview_ms: {min(times):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
