"""One rounding for percentages in charts and tables; chart labels wrap instead of being cut."""

import re

from lms.reports import charts
from lms.reports.numbers import whole_percent


def test_percentages_round_half_up_to_whole_numbers():
    assert [whole_percent(v) for v in (62.5, 12.5, 66.666, 33.333, 0, 100, 99.5)] == [63, 13, 67, 33, 0, 100, 100]


def test_the_table_macro_and_the_chart_round_alike(app):
    with app.test_request_context():
        macros = app.jinja_env.get_template("reports/_macros.html").make_module({})
        assert str(macros.percent(62.5)) == "63%" and str(macros.percent(12.5)) == "13%"


def test_long_bar_labels_wrap_onto_lines_without_losing_words():
    label = "Central and North West London NHS Foundation Trust"
    svg = str(charts.bar_chart("c", "Title", "Desc", [label, "Junior"], [50, 25], maximum=100, unit="%"))
    assert "…" not in svg
    first = re.search(r"<text[^>]*>((?:<tspan[^>]*>[^<]*</tspan>)+)</text>", svg).group(1)
    lines = re.findall(r">([^<]*)</tspan>", first)
    assert len(lines) > 1 and " ".join(lines) == label and all(len(line) <= 26 for line in lines)
    one_line = str(charts.bar_chart("c", "Title", "Desc", ["Junior", "Junior"], [50, 25], maximum=100))
    height = re.compile(r'viewBox="0 0 640 ([\d.]+)"')
    assert float(height.search(svg).group(1)) > float(height.search(one_line).group(1))  # the row grew


def test_week_labels_are_dates_people_read_and_wrap():
    svg = str(charts.column_chart("w", "Weeks", "Desc", ["6 January 2025", "13 January 2025"],
                                  [charts.Series("Enrolments", [1, 2])]))
    assert re.search(r'<tspan[^>]*>6 January</tspan><tspan[^>]*>2025</tspan>', svg) or "6 January 2025" in svg
