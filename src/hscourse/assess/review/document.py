"""The review PDF for instructors: a summary per module with the level mix as a chart (and
its data table for screen readers), then per module the objectives-by-items coverage and the
findings grouped by item. The chart is drawn by matplotlib as SVG (glyphs as paths, fixed ids,
no date), so the same review gives the same bytes."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from hscourse.assess.review import Finding, ModuleReview, Report
from hscourse.course.model import Course
from hscourse.course.schema import BLOOM_LEVELS

TEMPLATE = "review.html.j2"
# Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00")
HATCHES = ("", "//", "..", "xx", "\\\\", "++")


@dataclass
class ItemGroup:
    item: str | None
    findings: list[Finding]


def grouped(report: Report, module: ModuleReview) -> list[ItemGroup]:
    """The module's findings: module-level ones first, then per item in quiz order."""
    groups = [ItemGroup(None, [f for f in report.findings if f.item is None
                               and f.file == f"modules/{module.id}/module.yaml"])]
    for item in module.items:
        groups.append(ItemGroup(item, [f for f in report.findings if f.item == item]))
    return [g for g in groups if g.findings]


def chart_description(report: Report) -> str:
    """The chart's alt text: what it shows, in words."""
    parts = []
    for m in report.modules:
        points = ", ".join(f"{m.levels.points[lv]:g} {lv}" for lv in BLOOM_LEVELS
                           if m.levels.points[lv])
        parts.append(f"{m.title}: {points or 'no quiz points'}")
    return ("Stacked bar chart of quiz points by cognitive level (Bloom's revised taxonomy) in "
            "each module. " + "; ".join(parts) + ". The same figures are in the table below.")


def level_chart(report: Report) -> str:
    """A data: URL of the SVG chart of points per level per module."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.hashsalt": "hscourse-review", "svg.fonttype": "path",
                                "font.size": 9}):
        figure = Figure(figsize=(6.3, 0.4 * len(report.modules) + 1.1))
        axes = figure.subplots()
        names = [m.id for m in report.modules][::-1]
        left = [0.0] * len(names)
        for level, colour, hatch in zip(BLOOM_LEVELS, COLOURS, HATCHES):
            values = [m.levels.points[level] for m in report.modules][::-1]
            axes.barh(names, values, left=left, color=colour, hatch=hatch, edgecolor="#333",
                      linewidth=0.4, label=level)
            left = [a + b for a, b in zip(left, values)]
        axes.set_xlabel("Quiz points")
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(ncols=6, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False,
                    fontsize=8, handlelength=1.2, columnspacing=1.0)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
        pyplot.close("all")
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue().encode()).decode()


def module_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for m in report.modules:
        found = [f for f in report.findings if f.file == f"modules/{m.id}/module.yaml"]
        rows.append({"module": m, "share": m.levels.higher_share(),
                     **{s: sum(f.severity == s for f in found) for s in ("error", "warning",
                                                                        "info")}})
    return rows


def review_html(course: Course, report: Report) -> str:
    """The complete HTML of the review PDF."""
    from hscourse.assess.review.report import summary_line
    from hscourse.render.html import context_extras, render_template

    return render_template(course, TEMPLATE, report=report, rows=module_rows(report), levels=BLOOM_LEVELS,
                           chart=level_chart(report), chart_alt=chart_description(report),
                           groups={m.id: grouped(report, m) for m in report.modules},
                           others=[f for f in report.findings if not f.file.startswith("modules/")],
                           summary_line=summary_line(report), **context_extras(course))


def review_pdf(course: Course, report: Report) -> bytes:
    """The review PDF, rendered in this process (for `hscourse review --pdf FILE`)."""
    from hscourse.render.pdf import write_pdf

    return write_pdf(review_html(course, report), course.root, date=course.settings.date)
