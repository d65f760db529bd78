"""Nothing an author writes can run script in a learner's browser, and no answer leaks."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from course_helpers import LESSON, compile_files, lesson, line_of

from courses import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input type=password name=p><button>Go</button></form>',
    '<input type="text" name="password" onfocus="alert(1)" autofocus>',
    '<p style="position:fixed;top:0;left:0">cover the page</p>',
    "<style>body{display:none}</style>",
    '<div onclick="alert(1)">x</div>',
    '<object data="x.swf"></object><embed src="x.swf">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<details open ontoggle=alert(1)>x</details>",
    '<a href="https://ok.example" target="_blank" rel="opener">ok</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](java&#115;cript:alert(1))",
    "[x]( javascript:alert(1) )",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "![x](javascript:alert(1))",
    "[ref link][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    'Text\n{: onclick="alert(1)" style="color:red" }',
    "`<script>alert(1)</script>`",
    "<!-- <script>alert(1)</script> -->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    '<a href="//evil.example/%0a">protocol-relative</a>',
    '<a href="\\\\evil.example\\x">backslashes</a>',
    '<img src="x" srcset="javascript:alert(1) 1x">',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<blockquote cite="javascript:alert(1)">q</blockquote>',
]

FORBIDDEN_TAGS = {
    "script", "style", "iframe", "object", "embed", "form", "svg", "math", "link", "meta",
    "base", "frame", "frameset", "textarea", "button", "select", "template", "noscript",
}
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcset", "background", "cite",
                                                 "action", "formaction", "xlink:href"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if tag == "input" and name == "type" and value != "radio":
                self.problems.append(f"input type {value}")
            if name in ("href", "src") and value:
                url = re.sub(r"[\x00-\x20]", "", unquote(value))
                scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url)
                if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r}")
                if url.startswith("\\"):
                    self.problems.append(f"{name}={value!r}")
        found = dict(attrs)
        if tag == "a" and found.get("href", "").startswith(("http", "//")) \
                and found.get("rel") != "noopener noreferrer":
            self.problems.append("external link without rel=noopener noreferrer")


def problems_in(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    if re.search(r"javascript:|vbscript:|data:text", html, re.I):
        inspector.problems.append("script URL left in text of an attribute")
    return inspector.problems


def all_html(course) -> list[str]:
    out = list(course.overview_html.values())
    for module in course.modules:
        out += module.intro_html.values()
        for item in module.lessons:
            out += item.html.values()
            for q in item.questions:
                out += [q.stem_html, q.explanation_html, *q.hints_html]
                out += [c.html for c in q.choices] + [c.feedback_html for c in q.choices]
            out += [r.prompt_html for r in item.reflections]
    return out


@pytest.mark.parametrize("payload", XSS)
def test_renderer_output_is_inert(payload):
    html = render_markdown(payload)
    assert problems_in(html) == [], html


def _placed(payload: str) -> dict[str, str]:
    """The payload in the body, a stem, a choice, feedback, a hint, the explanation and a
    reflection prompt."""
    indented = payload.replace("\n", "\n    ")
    body = f"""
Intro paragraph.

{payload}

/// track | junior
{payload}
///

/// question | q-one
{payload}

- [x] Right {payload.splitlines()[0]}
    > {indented}
- [ ] Wrong

Hint: {payload}
Explanation: {payload}
///

/// reflection | r-one
{payload}
///
"""
    return {"01-mod/01-lesson.md": lesson(body)}


@pytest.mark.parametrize("payload", XSS)
def test_compiled_course_is_inert_or_refused(tmp_path, payload):
    result = compile_files(tmp_path, _placed(payload))
    for course in result.courses:
        for html in all_html(course):
            assert problems_in(html) == [], html
    assert result.exit_code in (0, 1)


def test_dangerous_markdown_link_is_an_error_with_its_line(tmp_path):
    text = lesson("Line one.\n\nSee [this guide](javascript:alert(1)).\n")
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": text})
    (finding,) = [f for f in result.findings if f.code == "E062"]
    assert finding.line == line_of(text, "this guide")
    assert result.courses == ()


def test_external_links_get_rel_and_internal_ones_do_not():
    html = render_markdown("[a](https://nhs.uk) [b](#part) [c](//cdn.example/x)")
    assert '<a href="https://nhs.uk" rel="noopener noreferrer">a</a>' in html
    assert '<a href="#part">b</a>' in html
    assert '<a href="//cdn.example/x" rel="noopener noreferrer">c</a>' in html


def test_tabbed_content_keeps_only_radio_buttons():
    html = render_markdown('=== "One"\n    one\n\n=== "Two"\n    two\n')
    assert 'type="radio"' in html
    assert problems_in(html) == []


SECRETS = """
Body text with ABBR in it.

/// question | q-secret
What is it?

- [x] Right
    > FEEDBACKSECRET one
- [ ] Wrong
    > FEEDBACKSECRET two

Hint: HINTSECRET
Explanation: EXPLAINSECRET with a note[^n] and ABBR.

*[ABBR]: ABBRSECRET

[^n]: FOOTNOTESECRET
///

/// question | q-short
Name the cycle.

= ACCEPTEDSECRET
= [TOC]

Explanation: # HEADINGSECRET
///
"""


def test_lesson_html_and_public_view_contain_no_answer_material(tmp_path):
    text = lesson(SECRETS + "\n[TOC]\n")
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": text})
    assert result.exit_code == 0, [str(f) for f in result.findings]
    item = result.courses[0].modules[0].lessons[0]
    secrets = ["FEEDBACKSECRET", "HINTSECRET", "EXPLAINSECRET", "ABBRSECRET", "FOOTNOTESECRET",
               "ACCEPTEDSECRET", "acceptedsecret", "HEADINGSECRET", "headingsecret"]
    for track, html in item.html.items():
        for secret in secrets:
            assert secret not in html, (track, secret)
        assert "Right" not in html and "Name the cycle" not in html
    for spec in item.questions:
        view = json.dumps(spec.public_view(hints_shown=0))
        for secret in secrets:
            assert secret not in view
        assert '"correct"' not in view
    q = item.questions[0]
    assert "FEEDBACKSECRET one" in q.choices[0].feedback_html
    assert "EXPLAINSECRET" in q.explanation_html
    assert item.questions[1].accepted == ("acceptedsecret", "[toc]")


def test_question_blocks_are_removed_even_from_the_raw_markdown(tmp_path):
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": LESSON})
    html = result.courses[0].modules[0].lessons[0].html["junior"]
    assert "Pick the right one" not in html and "///" not in html


HTML_ON_THEIR_OWN_LINE = [
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    "<a href='vbscript:msgbox(1)'>x</a>",
    '<a href=data:text/html,hi>x</a>',
    '<img alt="chart" src="java&#x09;script:alert(1)">',
    '<A HREF="JaVaScRiPt:alert(1)">x</A>',
]


@pytest.mark.parametrize("payload", HTML_ON_THEIR_OWN_LINE)
def test_a_refused_address_in_raw_html_is_reported_at_its_own_line(tmp_path, payload):
    # issue 13: an entity-encoded address was reported at the body's first line
    filler = "Intro.\n" + "".join(f"Paragraph {n}.\n\n" for n in range(1, 4))
    text = lesson(f"{filler}<p>{payload}</p>\n\nMore text.\n")
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": text})
    (finding,) = [f for f in result.findings if f.code == "E062"]
    assert finding.line == line_of(text, payload) == 13
    assert result.courses == ()
