"""Benchmark: compiling and publishing a 1,000-lesson course, against the Markdown floor.

Reproduce with:

    .venv/bin/python bench/content_build.py [--lessons 1000] [--repeat 3] [--profile] [--breakdown]

The floor is Python-Markdown with the compiler's own extension set converting each lesson
body once (one instance, reset between lessons); plain ``markdown.markdown`` with no
extensions is printed for reference. The compile is ``courses.compile_folder`` on the same
files, without a cache. The compile can come in under the floor: each document goes through
a Markdown instance without the processors its text cannot use (``courses/mdsubset.py``),
which gives the same HTML.

The publishing stages run the ``flask content build`` command (through click's runner, on
an app from ``create_app()``), each in a new process so that nothing is kept in memory from
one build to the next, against a fresh SQLite database made by the migrations, with an
empty content cache at first:

- full build: the first build, into an empty database with an empty cache;
- no-change rebuild: the same folder again;
- one-lesson-changed rebuild: after a sentence of one lesson was changed.

For each, "build" is the command itself, timed inside that process; "process" is the whole
process, which adds starting Python, importing the app and ``create_app()``.

``--breakdown`` splits the CPU time of one more compile into Markdown (``reset`` and
``convert``, as the floor counts them, on the compile's own documents), sanitising and the
HTML touch-ups after it, and everything else (reading, front matter, scanning, questions,
checks, hashes).

Figures are the best of ``--repeat`` runs. The last line is
``compile_vs_markdown_floor: X.XX`` (CPU time, which is steadier than wall-clock time when
other processes share the machine; both are printed).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import markdown

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from courses import compile_folder  # noqa: E402
from courses.render import EXTENSION_CONFIGS, EXTENSIONS  # noqa: E402

_WORD_TEXT = (
    "patient safety improvement ward team change measure data process staff carers nurses "
    "clinicians discharge medicines handover audit evidence pathway outcome spread adoption "
    "innovation service quality run chart variation culture learning feedback co-design "
    "stakeholder huddle escalation sepsis falls deterioration pressure ulcers referral clinic"
)
WORDS = tuple(_WORD_TEXT.split(" "))


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = f"*{words[i]}*"
    if rng.random() < 0.1:
        words.append("([NHS England](https://www.england.nhs.uk/))")
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    sentences = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
    # wrap like an editor would
    out, line = [], ""
    for word in sentences.split():
        if len(line) + len(word) > 78:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    return "\n".join(out)


def _question(rng: random.Random, lesson: int, number: int) -> str:
    qid = f"q-{lesson:04d}-{number}"
    kind = rng.choice(["single", "multiple", "truefalse", "numeric", "short"])
    stem = _sentence(rng).rstrip(".") + "?"
    if kind == "single":
        body = (f"{stem}\n\n- [ ] {_sentence(rng)}\n    > {_sentence(rng)}\n"
                f"- [x] {_sentence(rng)}\n- [ ] {_sentence(rng)}\n    > {_sentence(rng)}\n")
    elif kind == "multiple":
        body = (f"{stem}\n\n- [x] {_sentence(rng)}\n- [ ] {_sentence(rng)}\n"
                f"    > {_sentence(rng)}\n- [x] {_sentence(rng)}\n- [ ] {_sentence(rng)}\n")
    elif kind == "truefalse":
        body = f"{stem}\n\n- [x] True\n- [ ] False\n    > {_sentence(rng)}\n"
    elif kind == "numeric":
        body = f"{stem}\n\n= {rng.randint(1, 90)}.5 +- 0.5\n"
    else:
        body = f"{stem}\n\n= {rng.choice(WORDS)}\n= {rng.choice(WORDS)} {rng.choice(WORDS)}\n"
    return (f"/// question | {qid}\n    points: {rng.randint(1, 3)}\n\n{body}\n"
            f"Hint: {_sentence(rng)}\nExplanation: {_paragraph(rng)}\n///\n")


def lesson_text(rng: random.Random, lesson: int) -> str:
    """One realistic lesson: front matter, prose, lists, a table, track blocks, a quiz."""
    parts = [
        "---",
        f"id: lesson-{lesson:04d}",
        f'title: "Lesson {lesson}: {rng.choice(WORDS)} and {rng.choice(WORDS)}"',
        "estimated_minutes: {default: 15, postgraduate: 25}",
        "outcomes: [lo-one]",
        "---",
        "",
        f"## {rng.choice(WORDS).capitalize()} in practice",
        "",
        _paragraph(rng), "", _paragraph(rng), "",
        "- " + _sentence(rng), "- " + _sentence(rng), "- " + _sentence(rng), "",
        f"### {rng.choice(WORDS).capitalize()}", "",
        _paragraph(rng), "",
        "| Measure | Type | Example |", "|---|---|---|",
        *[f"| {rng.choice(WORDS)} | {rng.choice(WORDS)} | {_sentence(rng)} |" for _ in range(4)],
        "",
        "1. " + _sentence(rng), "2. " + _sentence(rng), "",
        '!!! note "Reflect"', "    " + _sentence(rng), "",
        "/// track | postgraduate", "### Going deeper", "", _paragraph(rng), "",
        _paragraph(rng), "///", "",
        "/// track | ahp junior", _paragraph(rng), "///", "",
        _paragraph(rng), "",
    ]
    if rng.random() < 0.5:
        parts += ["/// track | junior", _paragraph(rng), "///", ""]
    parts += [_question(rng, lesson, n) for n in range(rng.randint(2, 3))]
    parts += [f"/// reflection | r-{lesson:04d}", _sentence(rng), "///", ""]
    return "\n".join(parts)


def generate(root: Path, lessons: int, per_module: int = 20, seed: int = 7) -> Path:
    """Write a course of ``lessons`` lessons under ``root`` and return its folder."""
    rng = random.Random(seed)
    course = root / "bench-course"
    course.mkdir()
    (course / "course.md").write_text(
        "---\nid: bench-course\ntitle: Benchmark course\ntracks: [postgraduate, ahp, junior]\n"
        "learning_outcomes:\n  - id: lo-one\n    text: Do the thing.\n---\n\n# Benchmark\n\n"
        + _paragraph(rng) + "\n", encoding="utf-8")
    for index in range(lessons):
        module_number = index // per_module + 1
        module = course / f"{module_number:02d}-module"
        if not module.exists():
            module.mkdir()
            (module / "module.md").write_text(
                f"---\nid: module-{module_number:03d}\ntitle: Module {module_number}\n---\n\n"
                + _paragraph(rng) + "\n", encoding="utf-8")
        (module / f"{index % per_module + 1:02d}-lesson.md").write_text(
            lesson_text(rng, index + 1), encoding="utf-8")
    return course


def _bodies(course: Path) -> list[str]:
    bodies = []
    for path in sorted(course.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        bodies.append(text.split("\n---\n", 1)[1])
    return bodies


def _measure(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float]]:
    """Best wall-clock and CPU seconds of each run; runs are interleaved so that load from
    other processes on the machine hits them alike."""
    best = {name: (float("inf"), float("inf")) for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def breakdown(course: Path) -> dict[str, float]:
    """CPU seconds of one compile of ``course``: in Markdown, in the rest of rendering (the
    sanitiser, tables, link rel) and in everything else."""
    from courses import render

    spent = {"markdown": 0.0, "render": 0.0}
    originals = {(markdown.Markdown, "reset"): "markdown", (markdown.Markdown, "convert"): "markdown",
                 (render.Renderer, "_convert"): "render"}
    saved = {key: getattr(*key) for key in originals}

    def timed(function: Callable[..., object], bucket: str) -> Callable[..., object]:
        def call(*args: object) -> object:
            start = time.process_time()
            try:
                return function(*args)
            finally:
                spent[bucket] += time.process_time() - start
        return call

    for (owner, name), bucket in originals.items():
        setattr(owner, name, timed(saved[(owner, name)], bucket))
    try:
        start = time.process_time()
        compile_folder(course)
        total = time.process_time() - start
    finally:
        for (owner, name), function in saved.items():
            setattr(owner, name, function)
    spent["render"] -= spent["markdown"]  # _convert holds the Markdown calls
    spent["everything else"] = total - spent["markdown"] - spent["render"]
    return spent


# -- publishing stages: `flask content build`, each run in a process of its own ----------------

def _child_setup(database_url: str) -> None:
    """A fresh database, as an installation makes it: migrations, then organisations."""
    import flask_migrate

    from lms import create_app
    from lms.accounts.services import sync_organisations
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        flask_migrate.upgrade()
        sync_organisations()
        db.session.commit()


def _child_build(database_url: str, cache_dir: str, folder: str) -> None:
    """`flask content build FOLDER`; prints the command's own timing as JSON."""
    from lms import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CONTENT_CACHE_DIR": cache_dir})
    wall, cpu = time.perf_counter(), time.process_time()
    result = app.test_cli_runner().invoke(args=["content", "build", folder])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "exit_code": result.exit_code,
                      "output": result.output[-2000:]}))


def _run_child(*args: str) -> dict[str, object]:
    """Run this script in a new process; returns its report plus the whole process's times."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{done.stdout}\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1]) if args[0] == "--child-build" \
        else {}
    report["process_wall"] = wall
    report["process_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return report


STAGES = ("full build into SQLite", "no-change rebuild", "one-lesson-changed rebuild")


def publishing_stages(course: Path, work: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Best times of each stage over ``repeat`` rounds of: a fresh database and an empty cache,
    a full build, a rebuild with no change, and a rebuild after one lesson changed."""
    best: dict[str, dict[str, float]] = {}
    lessons = sorted(course.glob("*/*-lesson.md"))
    lesson = lessons[len(lessons) // 2]
    for round_number in range(repeat):
        database = work / f"round-{round_number}.sqlite3"
        url = f"sqlite:///{database}"
        cache = work / f"cache-{round_number}"
        _run_child("--child-setup", url)
        for stage in STAGES:
            if stage == "one-lesson-changed rebuild":
                text = lesson.read_text(encoding="utf-8")
                marker = "\n## "
                lesson.write_text(text.replace(
                    marker, f"\nEdited in round {round_number}: a sentence changed.\n{marker}", 1),
                    encoding="utf-8")
            report = _run_child("--child-build", url, str(cache), str(course))
            output = str(report["output"])
            expected = {"full build into SQLite": "created",
                        "no-change rebuild": "unchanged since it was last published",
                        "one-lesson-changed rebuild": " 1 updated"}[stage]
            if report["exit_code"] != 0 or expected not in output:
                raise RuntimeError(f"{stage}: unexpected result\n{output}")
            times = {key: float(report[key]) for key in ("wall", "cpu", "process_wall",
                                                         "process_cpu")}
            best[stage] = {key: min(value, best.get(stage, times)[key])
                           for key, value in times.items()}
    return best


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of a compile")
    parser.add_argument("--breakdown", action="store_true",
                        help="split a compile's CPU time into Markdown, sanitising and the rest")
    args = parser.parse_args(argv)
    print(f"# reproduce: .venv/bin/python bench/content_build.py --lessons {args.lessons} "
          f"--repeat {args.repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        course = generate(Path(tmp), args.lessons)
        bodies = _bodies(course)
        size = sum(len(b) for b in bodies)
        print(f"generated {args.lessons} lessons, {len(bodies)} Markdown files, "
              f"{size / 1e6:.2f} MB of body text")

        md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)

        def floor() -> None:
            for body in bodies:
                md.reset()
                md.convert(body)

        def plain() -> None:
            for body in bodies:
                markdown.markdown(body)

        result = compile_folder(course)
        assert result.exit_code == 0, [str(f) for f in result.findings[:5]]

        times = _measure({"floor": floor, "plain": plain,
                          "compile": lambda: compile_folder(course)}, args.repeat)
        floor_wall, floor_cpu = times["floor"]
        print(f"{'':40s} {'wall':>8s}   {'ratio':>5s}   {'cpu':>8s}   {'ratio':>5s}")
        labels = {"floor": "markdown floor (same extensions)",
                  "plain": "plain markdown.markdown (reference)",
                  "compile": "full compile (compile_folder)"}
        for name, label in labels.items():
            wall, cpu = times[name]
            print(f"{label:40s} {wall:8.3f}s  {wall / floor_wall:5.2f}x  {cpu:8.3f}s  "
                  f"{cpu / floor_cpu:5.2f}x")
        stages = publishing_stages(course, Path(tmp), args.repeat)
        for name, best in stages.items():
            for label, wall, cpu in (("build", best["wall"], best["cpu"]),
                                     ("process", best["process_wall"], best["process_cpu"])):
                print(f"{name + ': ' + label:40s} {wall:8.3f}s  {wall / floor_wall:5.2f}x  "
                      f"{cpu:8.3f}s  {cpu / floor_cpu:5.2f}x")
        full, unchanged, one = (stages[name] for name in STAGES)
        for label, suffix in (("build", ""), ("process", "process_")):
            print(f"no-change rebuild / full build ({label}): "
                  f"{unchanged[suffix + 'wall'] / full[suffix + 'wall']:.1%} wall, "
                  f"{unchanged[suffix + 'cpu'] / full[suffix + 'cpu']:.1%} cpu (target: at most 5%)")
        for label, suffix in (("build", ""), ("process", "process_")):
            print(f"one-lesson-changed rebuild ({label}): {one[suffix + 'wall']:.3f}s wall, "
                  f"{one[suffix + 'cpu']:.3f}s cpu (target: under 1 second)")
        if args.breakdown:
            labels = {"markdown": "Markdown (reset and convert)",
                      "render": "sanitiser, tables, link rel",
                      "everything else": "reading, scanning, questions, checks"}
            for name, cpu in breakdown(course).items():
                print(f"compile breakdown: {labels[name]:36s} {cpu:8.3f}s cpu  "
                      f"{cpu / floor_cpu:5.2f}x floor")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            compile_folder(course)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        # CPU time: on a shared machine it is far steadier than wall-clock time
        ratio = times["compile"][1] / floor_cpu
        print(f"compile_vs_markdown_floor: {ratio:.2f}")
        return ratio


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-setup":
        _child_setup(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-build":
        _child_build(*sys.argv[2:5])
    else:
        main()
