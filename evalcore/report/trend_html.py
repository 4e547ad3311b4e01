"""history.html: one self-contained page (no script, style sheet, font or image from the network): per headline
metric an inline SVG line chart with the interval as a band, each point titled with its run (hover shows it), model
id and suite changes marked by a dashed rule, and the trend table. Untrusted text is escaped with html.escape."""

from __future__ import annotations

from html import escape

from evalcore.report.trend import Series, interval, number, sparkline

WIDTH, HEIGHT, PAD = 640, 200, 36
STYLE = (
    "body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 2em}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}svg{background:#fafafa;border:1px solid #ddd}"
    ".band{fill:#cfe0f7}.line{fill:none;stroke:#1f5fbf;stroke-width:2}.dot{fill:#1f5fbf}"
    ".mark{stroke:#c0392b;stroke-dasharray:4 3}.axis{stroke:#999}text{font-size:11px;fill:#555}"
)


def trend_html(series: list[Series]) -> str:
    body = [s for s in series if s.headline]
    sections = "\n".join(_series(s) for s in body) or "<p>No runs in the history.</p>"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>evalcore history</title><style>{STYLE}</style></head>\n<body><h1>History</h1>\n{sections}\n"
        "</body></html>\n"
    )


def _series(s: Series) -> str:
    means = [p.point.mean for p in s.points]
    rows = "".join(
        f"<tr><td>{escape(p.when)}</td><td>{escape(p.commit)}</td><td>{p.point.n}</td><td>{number(p.point.mean)}</td>"
        f"<td>{interval(p.point)}</td><td>{escape('; '.join(p.marks))}</td></tr>"
        for p in s.points
    )
    label = escape(s.points[-1].point.label)
    return (
        f"<section><h2>{escape(s.suite)} · {escape(s.title)} <span>{sparkline(means)}</span></h2>\n{_chart(s)}\n"
        f"<p>{label}</p><table><tr><th>run (UTC)</th><th>commit</th><th>n</th><th>mean</th><th>95% interval</th>"
        f"<th>changes</th></tr>{rows}</table></section>"
    )


def _chart(s: Series) -> str:
    points = s.points
    top = max(1.0, *(p.point.high or p.point.mean or 0 for p in points))
    step = (WIDTH - 2 * PAD) / max(1, len(points) - 1)

    def x(i: int) -> float:
        return PAD + i * step if len(points) > 1 else WIDTH / 2

    def y(v: float) -> float:
        return HEIGHT - PAD - v / top * (HEIGHT - 2 * PAD)

    known = [(i, p) for i, p in enumerate(points) if p.point.mean is not None]
    shapes = [
        f'<line class="axis" x1="{PAD}" y1="{y(0):.1f}" x2="{WIDTH - PAD}" y2="{y(0):.1f}"/>',
        f'<text x="4" y="{y(0):.1f}">0</text><text x="4" y="{y(top) + 4:.1f}">{top:g}</text>',
    ]
    banded = [(i, p) for i, p in known if p.point.low is not None and p.point.high is not None]
    if len(banded) > 1:
        upper = [f"{x(i):.1f},{y(p.point.high or 0):.1f}" for i, p in banded]
        lower = [f"{x(i):.1f},{y(p.point.low or 0):.1f}" for i, p in reversed(banded)]
        shapes.append(f'<polygon class="band" points="{" ".join(upper + lower)}"/>')
    if len(known) > 1:
        line = " ".join(f"{x(i):.1f},{y(p.point.mean or 0):.1f}" for i, p in known)
        shapes.append(f'<polyline class="line" points="{line}"/>')
    for i, p in enumerate(points):
        if p.marks:
            shapes.append(
                f'<line class="mark" x1="{x(i):.1f}" y1="{PAD / 2}" x2="{x(i):.1f}" y2="{HEIGHT - PAD}">'
                f"<title>{escape('; '.join(p.marks))}</title></line>"
            )
    for i, p in known:
        tip = f"{p.when} {p.commit}: {number(p.point.mean)} {interval(p.point)}"
        shapes.append(
            f'<circle class="dot" cx="{x(i):.1f}" cy="{y(p.point.mean or 0):.1f}" r="3"><title>{escape(tip)}</title>'
            "</circle>"
        )
    if points:
        shapes.append(f'<text x="{PAD}" y="{HEIGHT - 8}">{escape(points[0].when)}</text>')
        shapes.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" text-anchor="end">{escape(points[-1].when)}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(s.metric)}">{"".join(shapes)}</svg>'
    )
