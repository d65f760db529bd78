"""Whatever an author types into a lesson, the compiler answers with a result."""

from __future__ import annotations

import tempfile
from pathlib import Path

from course_helpers import lesson, write_course
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses import CompileResult, compile_folder

# pieces of the format, so random text often looks like (broken) blocks and questions
FRAGMENTS = st.sampled_from([
    "/// track | junior\n", "/// track | \n", "///\n", "////\n", "/// question | q-x\n",
    "/// question | Bad Id\n", "/// reflection | r-x\n", "/// details | d\n", "/// tab\n",
    "    type: numeric\n", "    points: x\n", "    tracks: [f1]\n", "- [x] yes\n", "- [ ] no\n",
    "    > feedback\n", "= 1.5 +- 0.1\n", "= [2, 1]\n", "= \n", "Hint:\n", "Explanation: e\n",
    "```\n", "~~~\n", "---\n", "# h\n", "#### h\n", "![](x.png)\n", "[here](../x)\n",
    "[x](javascript:y)\n", "<div>\n", "<script>x</script>\n", "[^1]\n", "[^1]: n\n",
    "*[A]: b\n", "[TOC]\n", "!!! note\n", "=== \"t\"\n", "\t\n", "\n", "\r\n", "\x00",
    "\ufeff", "\u2028",
])
BODIES = st.lists(st.one_of(FRAGMENTS, st.text(max_size=40)), max_size=25).map("".join)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=BODIES)
def test_any_lesson_body_gives_a_result(body):
    with tempfile.TemporaryDirectory() as tmp:
        root = write_course(Path(tmp) / "course", {"01-mod/01-lesson.md": lesson(body)})
        result = compile_folder(root)
    assert isinstance(result, CompileResult)
    assert result.exit_code in (0, 1)
    assert bool(result.courses) == (result.exit_code == 0)
    for finding in result.findings:
        assert finding.line >= 1 and finding.message


@settings(max_examples=60, deadline=None)
@given(front=st.text(max_size=80))
def test_any_front_matter_gives_a_result(front):
    with tempfile.TemporaryDirectory() as tmp:
        root = write_course(Path(tmp) / "course",
                            {"01-mod/01-lesson.md": f"---\n{front}\n---\nBody.\n"})
        result = compile_folder(root)
    assert result.exit_code in (0, 1)
