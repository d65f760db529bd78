"""Benchmark: the editor's preview of one edited lesson, and publishing a draft, on the shipped course.

Reproduce with:

    .venv/bin/python bench/editor_preview.py [--repeat 20]

A fresh SQLite database (tables from the models) gets `content/` built into it, as on a server.
Then, as the editor's live preview does while typing pauses, one lesson's text is changed (a new
sentence each time, so the changed lesson is never in the compile cache) and the whole course is
compiled from the database with the other files from the cache, and the lesson previewed
(``lms.authoring.preview.preview``). Last, one draft is saved and published in the request's way
(``publish_draft``, then commit). Figures are wall-clock: median and best of ``--repeat``.
The target for the preview is under 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestingConfig  # noqa: E402
from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LESSON = "01-why-innovate/01-what-is-innovation.md"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}/bench.db"
            CONTENT_CACHE_DIR = f"{tmp}/cache"

        app = create_app(Config)
        with app.app_context():
            from lms.accounts.services import sync_organisations
            from lms.authoring import drafts, preview
            from lms.clock import utcnow

            db.create_all()
            sync_organisations()
            db.session.commit()
            result = app.test_cli_runner().invoke(args=["content", "build", str(ROOT / "content")])
            assert result.exit_code == 0, result.output
            working = drafts.working_copy("innovation-in-practice")
            text = working.text(LESSON)
            timings = []
            for n in range(args.repeat):
                source = drafts.working_copy("innovation-in-practice").source
                edited = text.replace("\n## ", f"\nA sentence added, number {n}.\n\n## ", 1)
                start = time.perf_counter()
                shown = preview.preview(source.with_unsaved(LESSON, edited.encode()), LESSON)
                timings.append(time.perf_counter() - start)
                assert shown is not None and shown.whole_course and f"number {n}." in shown.html["junior"]
            print(f"preview of one edited lesson: median {statistics.median(timings) * 1000:.0f} ms, "
                  f"best {min(timings) * 1000:.0f} ms ({args.repeat} runs, target < 150 ms)")
            start = time.perf_counter()
            drafts.save_text("innovation-in-practice", LESSON, text + "\nPublished sentence.\n", 0,
                             author_id=None, now=utcnow())
            db.session.commit()
            saved = time.perf_counter() - start
            start = time.perf_counter()
            drafts.publish_draft("innovation-in-practice", 1, "bench", author_id=None, now=utcnow())
            db.session.commit()
            published = time.perf_counter() - start
            print(f"save a draft: {saved * 1000:.0f} ms; publish the draft: {published * 1000:.0f} ms")


if __name__ == "__main__":
    main()
