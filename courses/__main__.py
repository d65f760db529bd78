"""``python -m courses check PATH [--json]`` and ``python -m courses preview PATH ...``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .compiler import compile_folder
from .model import TRACKS
from .report import json_text, text_report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m courses",
                                     description="Check and preview Markdown courses.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="report every error and warning in a folder")
    check.add_argument("path", help="a folder of course folders, or one course folder")
    check.add_argument("--json", action="store_true", help="print findings and counts as JSON")
    preview = commands.add_parser("preview", help="print one lesson's HTML for one track")
    preview.add_argument("path")
    preview.add_argument("--lesson", required=True, help="the lesson's id")
    preview.add_argument("--track", required=True, choices=TRACKS)
    args = parser.parse_args(argv)

    result = compile_folder(args.path)
    if args.command == "check":
        print(json_text(result) if args.json else text_report(result))
        return result.exit_code

    for course in result.courses:
        lesson = course.find_lesson(args.lesson)
        if lesson is None:
            continue
        if args.track not in lesson.html:
            print(f"lesson '{args.lesson}' is not on the {args.track} track "
                  f"(its tracks: {', '.join(lesson.tracks)})", file=sys.stderr)
            return 1
        print(lesson.html[args.track])
        return 0
    if result.exit_code:
        print(text_report(result), file=sys.stderr)
        return result.exit_code
    print(f"no lesson with id '{args.lesson}'", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
