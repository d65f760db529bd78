"""Markdown tables scroll inside their own labelled, focusable region (reflow at 320 px)."""

from courses import render_markdown
from courses.render import wrap_tables

TABLE = """Before.

| Stage | Question to ask |
|-------|-----------------|
| Plan  | What will we try? |
| Do    | What happened? |

After.
"""


def test_a_markdown_table_is_wrapped_in_a_labelled_focusable_region():
    html = render_markdown(TABLE)
    start = html.index('<div class="app-table-scroll"')
    assert 'role="region" tabindex="0" aria-label="Table: Stage, Question to ask">' in html[start:]
    assert html.index("<table", start) > start
    assert html.index("</table></div>") > html.index("<table")
    assert html.count("app-table-scroll") == 1


def test_every_table_is_wrapped_and_text_outside_tables_is_untouched():
    html = render_markdown(TABLE + "\n" + TABLE.replace("Stage", "Step &amp; <b>x</b>"))
    assert html.count('role="region"') == 2
    assert 'aria-label="Table: Step &amp; x, Question to ask"' in html
    assert wrap_tables("<p>No tables here.</p>") == "<p>No tables here.</p>"


def test_a_table_without_headings_is_still_labelled():
    assert wrap_tables("<table><tr><td>1</td></tr></table>") == (
        '<div class="app-table-scroll" role="region" tabindex="0" aria-label="Table">'
        "<table><tr><td>1</td></tr></table></div>")
