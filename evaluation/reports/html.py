"""A report as one self-contained HTML file with interactive plotly charts.

Everything the page needs is inside the file: the styles, plotly.js (inlined once, ~4.6 MB) and
the tidy data as a CSV download (a ``data:`` link), so it opens offline, from an e-mail or a
portal, and prints cleanly. Every text from the data or the template is HTML-escaped; the CSV
goes through ``safe_cell`` like every CSV we write.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from evaluation.reports.charts import plotly_dict
from evaluation.reports.model import Report, Table

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d1d1d;
max-width:1100px;margin:0 auto;padding:24px 32px;line-height:1.45}
h1{color:#1F4E79;font-size:1.8em;margin-bottom:.2em}h2{color:#1F4E79;border-bottom:2px solid
#1F4E79;padding-bottom:.2em;margin-top:2em}h3{color:#1F4E79}
table{border-collapse:collapse;width:100%;margin:.6em 0 1.2em;font-size:.92em}
th{background:#1F4E79;color:#fff;text-align:left;padding:6px 8px;vertical-align:bottom}
td{padding:5px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top}
tr:nth-child(even) td{background:#EEF3F8}td.num{text-align:right;white-space:nowrap}
td.hidden{color:#7f7f7f;font-style:italic;text-align:right}
.logo{height:60px;float:right}
.cover dt{font-weight:600;float:left;width:11em;clear:left}.cover dd{margin-left:12em}
.draft{background:#FFF2CC;border-left:4px solid #C9A227;padding:10px 14px;margin:1em 0}
.draft p.notice{font-style:italic;color:#7a5a00;margin-top:0}
.note{color:#555;font-size:.85em}.chart{page-break-inside:avoid;margin:.5em 0 1.5em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:12px}
nav ul{columns:2;padding-left:1.2em}
@media print{nav{display:none}h2{page-break-before:always}.cover h2{page-break-before:auto}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(table: Table, *, title: bool = True) -> str:
    out = [f"<h3>{_e(table.title)}</h3>" if title else ""]
    out.append(
        "<table><thead><tr>"
        + "".join(f"<th>{_e(h)}</th>" for h in table.header)
        + "</tr></thead><tbody>"
    )
    for row in table.rows:
        cells = []
        for c in row:
            cls = (
                "hidden"
                if c.state == "hidden"
                else ("num" if c.number is not None and c.fmt != "text" else "")
            )
            cells.append(
                f'<td class="{cls}">{_e(c.text)}</td>' if cls else f"<td>{_e(c.text)}</td>"
            )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if table.note:
        out.append(f'<p class="note">{_e(table.note)}</p>')
    return "".join(out)


def _logo(report: Report) -> str:
    """The funder's logo, inlined like everything else in the file."""
    if report.logo is None:
        return ""
    mime = "image/png" if report.logo.suffix.lower() == ".png" else "image/jpeg"
    data = base64.b64encode(report.logo.read_bytes()).decode("ascii")
    return f'<img class="logo" alt="{_e(report.funder)}" src="data:{mime};base64,{data}">'


def _csv_link(report: Report) -> str:
    from evaluation.views.spreadsheet import safe_frame

    buf = io.StringIO()
    safe_frame(report.data).to_csv(buf, index=False)
    data = base64.b64encode(buf.getvalue().encode("utf-8")).decode("ascii")
    name = _e(f"{report.file_stem}_data.csv")
    return (
        f'<p><a download="{name}" href="data:text/csv;base64,{data}">Download the data '
        f"(CSV, {len(report.data):,} rows)</a>: every figure of this report, one row per "
        "indicator, period and split.</p>"
    )


def write_html(report: Report, path: Path) -> Path:
    """Write ``report`` as one self-contained ``.html`` file at ``path``."""
    from plotly.offline import get_plotlyjs

    t = report.template
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_e(report.title)} — {_e(report.programme)} — {_e(report.period.label)}</title>",
        f"<style>{CSS}</style>",
        f"<script>{get_plotlyjs()}</script></head><body>",
    ]
    as_of = report.data_as_of.isoformat() if report.data_as_of else "–"
    parts.append(
        f'<section class="cover">{_logo(report)}<h1>{_e(report.title)}</h1>'
        f"<dl><dt>Funder</dt><dd>{_e(report.funder)}</dd>"
        f"<dt>Programme</dt><dd>{_e(report.programme)} ({_e(report.programme_id)})</dd>"
        f"<dt>Organisation</dt><dd>{_e(report.organisation)}</dd>"
        f"<dt>Period</dt><dd>{_e(report.period.label)} ({report.period.start.isoformat()} to "
        f"{report.period.end.isoformat()})</dd><dt>Data as of</dt><dd>{_e(as_of)}</dd>"
        f"<dt>Generated at</dt><dd>{report.generated_at.strftime('%Y-%m-%d %H:%M UTC')}</dd>"
        f"<dt>Audience</dt><dd>{'Shared: small numbers are hidden' if report.audience == 'shared' else 'Internal: not for sharing outside the organisation'}</dd>"  # noqa: E501
        + (f"<dt>Release</dt><dd>{_e(report.release)}</dd>" if report.release else "")
        + "</dl></section>"
    )
    toc = [t.wording.summary_heading, *(s.heading for s in report.sections)]
    parts.append(
        "<nav><h2>Contents</h2><ul>"
        + "".join(f'<li><a href="#s{k}">{_e(h)}</a></li>' for k, h in enumerate(toc))
        + "</ul></nav>"
    )
    parts.append(f'<h2 id="s0">{_e(t.wording.summary_heading)}</h2>')
    parts.append(_table(report.summary, title=False))
    if report.narrative:
        parts.append(
            f'<h3>{_e(t.wording.narrative_heading)}</h3><div class="draft">'
            f'<p class="notice">DRAFT — {_e(report.draft_notice)}</p>'
            + "".join(f"<p>{_e(s)}</p>" for s in report.narrative)
            + "</div>"
        )
    chart_no = 0
    for k, section in enumerate(report.sections, start=1):
        parts.append(f'<h2 id="s{k}">{_e(section.heading)}</h2>')
        if section.intro:
            parts.append(f"<p>{_e(section.intro)}</p>")
        for table in section.tables:
            parts.append(_table(table))
        if section.narrative:
            parts.append(
                '<div class="draft"><p class="notice">DRAFT</p>'
                + "".join(f"<p>{_e(s)}</p>" for s in section.narrative)
                + "</div>"
            )
        if section.charts:
            parts.append('<div class="grid">')
            for spec in section.charts:
                chart_no += 1
                div = f"chart-{chart_no}"
                payload = json.dumps(plotly_dict(spec), allow_nan=False)
                parts.append(
                    f'<div class="chart"><div id="{div}" style="height:320px"></div>'
                    f'<script type="application/json" id="{div}-spec">'
                    f"{_json_in_html(payload)}</script></div>"
                )
            parts.append("</div>")
    if "definitions" in t.annexes:
        parts.append(
            f"<h2>{_e(t.wording.definitions_heading)}</h2>"
            + _table(report.definitions, title=False)
        )
    if "data_quality" in t.annexes:
        parts.append(f"<h2>{_e(t.wording.data_quality_heading)}</h2>")
        parts += [f"<p>{_e(n)}</p>" for n in report.data_quality_notes]
        parts += [_table(q) for q in report.data_quality]
    if "method" in t.annexes:
        parts.append(f"<h2>{_e(t.wording.method_heading)}</h2>")
        parts += [f"<p>{_e(m)}</p>" for m in report.method]
    if "provenance" in t.annexes:
        parts.append(
            f"<h2>{_e(t.wording.provenance_heading)}</h2><table><tbody>"
            + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in report.provenance)
            + "</tbody></table>"
        )
    if "data" in t.annexes:
        parts.append(f"<h2>{_e(t.wording.data_heading)}</h2>" + _csv_link(report))
    parts.append(
        "<script>document.querySelectorAll('script[id$=\"-spec\"]').forEach(function(s){"
        "var f=JSON.parse(s.textContent);var id=s.id.slice(0,-5);"
        "Plotly.newPlot(id,f.data,f.layout,{displaylogo:false,responsive:true});});</script>"
    )
    parts.append("</body></html>")
    Path(path).write_text("".join(parts), encoding="utf-8")
    return Path(path)


def _json_in_html(payload: str) -> str:
    """JSON inside a ``<script type="application/json">``: ``<`` escaped so a text in the data
    can never close the script element."""
    return payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
