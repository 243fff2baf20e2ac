"""A report as one self-contained HTML file with interactive plotly charts.

Everything the page needs is inside the file: the styles, plotly.js and the tidy data as a CSV
download, so it opens offline, from an e-mail or a portal, and prints cleanly. The page uses
the reader's system fonts (nothing embedded). plotly.js is inlined once for all the charts,
gzip-compressed (4.8 MB of JavaScript become 1.5 MB, 2 MB as base64 text): a few lines of
script unpack it with the browser's own ``DecompressionStream`` and draw the charts from their
JSON. The CSV is compressed the same way. So a report of 27 charts is about 2.1 MB instead of
4.9 MB; ``MAX_BYTES`` is the limit the tests hold every shipped template to.

Every text is in the report's language (``<html lang>`` says which) and every text from the
data or the template is HTML-escaped; the CSV goes through ``safe_cell`` like every CSV we
write.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import io
import json
from pathlib import Path

from evaluation.reports.charts import plotly_dict
from evaluation.reports.docx import cover_fields, is_numeric
from evaluation.reports.model import Report, Table
from evaluation.vocabulary import numbers
from evaluation.vocabulary.language import _, current, n_, using

MAX_BYTES = 2_600_000
"""The most an HTML report of a shipped template may weigh: plotly.js compressed (2.0 MB as
base64) and the report itself (tables, chart data, compressed CSV: 0.1-0.3 MB), with room."""

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
.chart-note{font-style:italic;color:#555}
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
            cls = "hidden" if c.state == "hidden" else ("num" if is_numeric(c) else "")
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


def _gzip64(data: bytes) -> str:
    """``data`` gzip-compressed as base64 text (``mtime=0``: the same bytes every time)."""
    return base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode("ascii")


@functools.cache
def plotly_gz() -> tuple[str, str]:
    """plotly.js (the version the platform draws with) compressed: (base64 text, version)."""
    import plotly
    from plotly.offline import get_plotlyjs

    return _gzip64(get_plotlyjs().encode("utf-8")), str(plotly.__version__)


def _csv_link(report: Report) -> str:
    from evaluation.views.spreadsheet import safe_frame

    buf = io.StringIO()
    safe_frame(report.data).to_csv(buf, index=False)
    data = _gzip64(buf.getvalue().encode("utf-8"))
    name = _e(f"{report.file_stem}_data.csv")
    rows = len(report.data)
    link = n_(
        "Download the data (CSV, {n} row)",
        "Download the data (CSV, {n} rows)",
        rows,
        n=numbers.count(rows, current()),
    )
    return (
        f'<p><a id="data-link" download="{name}" href="#data">{_e(link)}</a>: '
        + _e(_("every figure of this report, one row per indicator, period and split."))
        + f'</p><script type="application/octet-stream" id="data-gz">{data}</script>'
    )


_UNPACK = """<script>(function(){
function unpack(id,type){var b=atob(document.getElementById(id).textContent);
var u=new Uint8Array(b.length);for(var i=0;i<b.length;i++)u[i]=b.charCodeAt(i);
return new Response(new Blob([u]).stream().pipeThrough(new DecompressionStream('gzip')),
{headers:{'Content-Type':type}});}
var link=document.getElementById('data-link');
if(link){unpack('data-gz','text/csv').blob().then(function(b){
link.href=URL.createObjectURL(b);});}
var specs=document.querySelectorAll('script[id$="-spec"]');if(!specs.length)return;
unpack('plotly-gz','text/javascript').text().then(function(js){
var s=document.createElement('script');s.textContent=js;document.head.appendChild(s);
specs.forEach(function(s){var f=JSON.parse(s.textContent);
Plotly.newPlot(s.id.slice(0,-5),f.data,f.layout,{displaylogo:false,responsive:true});});
}).catch(function(){document.querySelectorAll('.chart > div').forEach(function(d){
d.textContent=%s;});});})();</script>"""


def write_html(report: Report, path: Path) -> Path:
    """Write ``report`` as one self-contained ``.html`` file at ``path``, in its language."""
    with using(report.lang):
        return _write_html(report, Path(path))


def _write_html(report: Report, path: Path) -> Path:
    t = report.template
    parts = [
        f'<!DOCTYPE html><html lang="{_e(report.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_e(report.title)} — {_e(report.programme)} — {_e(report.period_label)}</title>",
        f"<style>{CSS}</style></head><body>",
    ]
    parts.append(
        f'<section class="cover">{_logo(report)}<h1>{_e(report.title)}</h1><dl>'
        + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in cover_fields(report))
        + "</dl></section>"
    )
    toc = [report.summary.title, *(s.heading for s in report.sections)]
    contents = _("Contents")
    parts.append(
        f"<nav><h2>{_e(contents)}</h2><ul>"
        + "".join(f'<li><a href="#s{k}">{_e(h)}</a></li>' for k, h in enumerate(toc))
        + "</ul></nav>"
    )
    parts.append(f'<h2 id="s0">{_e(report.summary.title)}</h2>')
    parts.append(_table(report.summary, title=False))
    draft = _("DRAFT")
    if report.narrative:
        notice = _("DRAFT — {notice}", notice=report.draft_notice)
        parts.append(
            f'<h3>{_e(_(t.wording.narrative_heading))}</h3><div class="draft">'
            f'<p class="notice">{_e(notice)}</p>'
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
                f'<div class="draft"><p class="notice">{_e(draft)}</p>'
                + "".join(f"<p>{_e(s)}</p>" for s in section.narrative)
                + "</div>"
            )
        if section.charts:
            parts.append('<div class="grid">')
            for spec in section.charts:
                chart_no += 1
                div = f"chart-{chart_no}"
                figure = plotly_dict(spec)
                height = int(figure["layout"].get("height", 320))
                payload = json.dumps(figure, allow_nan=False)
                parts.append(
                    f'<div class="chart"><div id="{div}" style="height:{height}px"></div>'
                    f'<script type="application/json" id="{div}-spec">'
                    f"{_json_in_html(payload)}</script></div>"
                )
            parts.append("</div>")
        parts += [f'<p class="chart-note">{_e(n)}</p>' for n in section.chart_notes]
    if "definitions" in t.annexes:
        parts.append(
            f"<h2>{_e(_(t.wording.definitions_heading))}</h2>"
            + _table(report.definitions, title=False)
        )
    if "data_quality" in t.annexes:
        parts.append(f"<h2>{_e(_(t.wording.data_quality_heading))}</h2>")
        parts += [f"<p>{_e(n)}</p>" for n in report.data_quality_notes]
        parts += [_table(q) for q in report.data_quality]
    if "method" in t.annexes:
        parts.append(f"<h2>{_e(_(t.wording.method_heading))}</h2>")
        parts += [f"<p>{_e(m)}</p>" for m in report.method]
    if "provenance" in t.annexes:
        parts.append(
            f"<h2>{_e(_(t.wording.provenance_heading))}</h2><table><tbody>"
            + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in report.provenance)
            + "</tbody></table>"
        )
    if "data" in t.annexes:
        parts.append(f"<h2>{_e(_(t.wording.data_heading))}</h2>" + _csv_link(report))
    if chart_no:
        code, version = plotly_gz()
        parts.append(
            f"<!-- plotly.js v{_e(version)}, gzip-compressed, unpacked by the script below -->"
            f'<script type="application/octet-stream" id="plotly-gz">{code}</script>'
        )
        script = _("The charts need JavaScript.")
        parts.append(f"<noscript><p>{_e(script)}</p></noscript>")
    failed = _("This browser cannot unpack the charts: open the report in a current browser.")
    parts.append(_UNPACK % json.dumps(failed).replace("<", "\\u003c"))
    parts.append("</body></html>")
    Path(path).write_text("".join(parts), encoding="utf-8")
    return Path(path)


def _json_in_html(payload: str) -> str:
    """JSON inside a ``<script type="application/json">``: ``<`` escaped so a text in the data
    can never close the script element."""
    return payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
