"""``/``: one self-contained HTML page about a destination's syncs, for a person.

Everything is inline (CSS, an SVG chart, no script, no font, no external asset), so the page
works behind any proxy, offline and in a screenshot; it reloads itself every 30 seconds. It
shows the destination's URL with its password masked and, of the Akeneo it mirrors, the URL
only: never a client id, user, secret or token.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from html import escape
from typing import Any

from akeneo_sync.status.snapshot import Snapshot, ago, moment

COLORS = {"ok": "#2e7d32", "failed": "#c62828", "interrupted": "#ef8f00"}
LINE = "#1565c0"
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;
color:#1d232a;background:#f6f7f9}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:24px 0 8px}
.sub{color:#5b6570;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:10px 14px;min-width:170px}
.card b{display:block;font-size:18px}.card span{color:#5b6570;font-size:12px}
.good b{color:#2e7d32}.bad b{color:#c62828}
table{border-collapse:collapse;background:#fff;border:1px solid #dde1e6}
th,td{padding:4px 8px;border-bottom:1px solid #eceef1;text-align:left;white-space:nowrap}
th{background:#eef0f3;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.err{white-space:normal;min-width:200px;max-width:300px;overflow-wrap:anywhere;color:#c62828}
.error{overflow-wrap:anywhere}
.o{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
.error{background:#fff;border:1px solid #c62828;border-left-width:4px;padding:8px 12px}
svg{background:#fff;border:1px solid #dde1e6;border-radius:6px}
"""


def duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds) // 60}m{int(seconds) % 60:02d}s"
    return f"{int(seconds) // 3600}h{int(seconds) % 3600 // 60:02d}m"


def when(text: Any) -> str:
    """A stored time as ``2025-06-01 10:00:00`` (UTC)."""
    found = moment(text)
    return found.strftime("%Y-%m-%d %H:%M:%S") if found else "-"


def changed(run: Mapping[str, Any]) -> int:
    """Products written or deleted by a run."""
    written = (run.get("written") or {}).get("products", 0)
    return int(written) + int((run.get("deleted") or {}).get("products", 0))


def _badge(outcome: Any) -> str:
    color = COLORS.get(str(outcome), "#5b6570")
    return f'<span class="o" style="background:{color}">{escape(str(outcome))}</span>'


def _card(label: str, value: str, note: str = "", kind: str = "") -> str:
    return (
        f'<div class="card {kind}"><span>{escape(label)}</span><b>{escape(value)}</b>'
        f"<span>{escape(note)}</span></div>"
    )


def chart(runs: list[dict[str, Any]], width: int = 760, height: int = 200) -> str:
    """Bars: each run's duration, coloured by outcome (left axis); line: the products it
    changed (right axis); oldest on the left. ``runs`` newest first, as stored."""
    if not runs:
        return '<p class="sub">No run recorded yet.</p>'
    shown = list(reversed(runs[:60]))
    left, right, top, bottom = 52, 56, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(shown)
    longest = max(float(r.get("seconds") or 0) for r in shown) or 1.0
    most = max(changed(r) for r in shown) or 1
    parts = [
        f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Run durations and products changed per run">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#9aa3ad"/>',
    ]
    points = []
    for i, run in enumerate(shown):
        seconds = float(run.get("seconds") or 0)
        bar_h = max(seconds / longest * plot_h, 1.0)
        bar_w = min(step * 0.6, 28.0)
        x = left + i * step + (step - bar_w) / 2
        color = COLORS.get(str(run.get("outcome")), "#5b6570")
        tip = (
            f"{when(run.get('started_at'))} {run.get('kind')} {run.get('outcome')}: "
            f"{duration(seconds)}, {changed(run)} products changed"
        )
        parts.append(
            f'<rect class="bar {escape(str(run.get("outcome")))}" x="{x:.1f}" '
            f'y="{top + plot_h - bar_h:.1f}" width="{max(bar_w, 1):.1f}" '
            f'height="{bar_h:.1f}" fill="{color}" opacity="0.8"><title>{escape(tip)}</title>'
            "</rect>"
        )
        cy = top + plot_h - changed(run) / most * plot_h
        points.append((left + i * step + step / 2, cy))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts.append(
        f'<polyline class="changed" points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>'
    )
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{LINE}"/>' for x, y in points]
    axis = 'font-size="11" fill="#5b6570"'
    parts += [
        f'<text x="{left - 6}" y="{top + 9}" text-anchor="end" {axis}>'
        f"{escape(duration(longest))}</text>",
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" {axis}>0 s</text>',
        f'<text x="{left + plot_w + 6}" y="{top + 9}" font-size="11" fill="{LINE}">{most:,}</text>',
        f'<text x="{left + plot_w + 6}" y="{top + plot_h}" {axis}>0</text>',
        f'<text x="{left}" y="{height - 10}" {axis}>{when(shown[0].get("started_at"))}</text>',
        f'<text x="{left + plot_w}" y="{height - 10}" text-anchor="end" {axis}>'
        f"{when(shown[-1].get('started_at'))}</text>",
        "</svg>",
    ]
    legend = " ".join(
        f'<span style="color:{c}">&#9632; {name}</span>' for name, c in COLORS.items()
    )
    return (
        "\n".join(parts) + f'<div class="sub">Bars: duration of each run ({legend}); '
        f'<span style="color:{LINE}">line: products changed</span> (written or deleted).</div>'
    )


def _short(text: str, most: int = 90) -> str:
    """An error line cut for a table cell (the whole line is its tooltip and under "Last
    error")."""
    return text if len(text) <= most else text[: most - 1] + "…"


def _runs_table(runs: list[dict[str, Any]]) -> str:
    rows = []
    for run in runs[:30]:
        written = run.get("written") or {}
        error = str(run.get("error") or "")
        breakdown = ", ".join(f"{k}: {v:,}" for k, v in sorted(written.items()))
        rows.append(
            "<tr>"
            f"<td>{when(run.get('started_at'))}</td>"
            f"<td>{escape(str(run.get('kind')))} ({escape(str(run.get('mode')))})</td>"
            f"<td>{_badge(run.get('outcome'))}</td>"
            f'<td class="n">{duration(run.get("seconds"))}</td>'
            f'<td class="n" title="{escape(breakdown)}">{sum(written.values()):,}</td>'
            f'<td class="n">{changed(run):,}</td>'
            f'<td class="n">{sum((run.get("deleted") or {}).values()):,}</td>'
            f'<td class="n">{int(run.get("requests") or 0):,}</td>'
            f'<td class="n">{int(run.get("retries") or 0):,}</td>'
            f'<td class="err" title="{escape(error)}">{escape(_short(error))}</td></tr>'
        )
    head = (
        "<tr><th>started (UTC)</th><th>run</th><th>outcome</th><th>duration</th>"
        "<th>written</th><th>products changed</th><th>deleted</th><th>requests</th>"
        "<th>retries</th><th>error</th></tr>"
    )
    return f'<table id="runs">{head}{"".join(rows)}</table>'


def _cursors(snapshot: Snapshot) -> str:
    groups = snapshot.cursor_groups()
    if not groups:
        return '<p class="sub">No cursor yet: the first complete run sets them.</p>'
    rows = "".join(
        f'<tr><td>{escape(cursor)}</td><td class="n">{ago(lag)}</td>'
        f'<td style="white-space:normal">{escape(", ".join(names))}</td></tr>'
        for cursor, names, lag in groups
    )
    return (
        '<table id="cursors"><tr><th>cursor (UTC)</th><th>lag</th><th>resources</th></tr>'
        f"{rows}</table>"
    )


def render(snapshot: Snapshot, stale_after: timedelta | None) -> str:
    health = snapshot.health(stale_after)
    last = snapshot.runs[0] if snapshot.runs else None
    since = snapshot.since_success()
    verdict = ("OK", "good") if health.ok else ("FAILING", "bad")
    cards = [
        _card("health", verdict[0], health.reason, verdict[1]),
        _card(
            "since the last success",
            ago(since),
            when(snapshot.last_success.isoformat()) if snapshot.last_success else "never",
        ),
    ]
    if last is not None:
        cards.append(
            _card(
                "last run",
                str(last.get("outcome")),
                f"{last.get('kind')}, "
                f"{duration(last.get('seconds'))}, {when(last.get('finished_at'))}",
            )
        )
    events = (snapshot.state or {}).get("events")
    if events:
        lag = f"lag {events.get('lag_seconds')} s, {events.get('pending', 0)} pending"
        cards.append(_card("events applied", f"{int(events.get('applied', 0)):,}", lag))
    failure = snapshot.last_failure
    error = (
        f'<h2>Last error</h2><div class="error" id="last-error">{when(failure.get("finished_at"))}'
        f" &middot; {escape(str(failure.get('error')))}</div>"
        if failure
        else ""
    )
    problem = (
        f'<div class="error">Cannot read the destination: {escape(snapshot.problem)}</div>'
        if snapshot.problem
        else ""
    )
    source = f" &middot; mirrors {escape(snapshot.source)}" if snapshot.source else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>akeneo-sync: {escape(snapshot.destination)}</title><style>{STYLE}</style></head>
<body><h1>akeneo-sync</h1>
<div class="sub">{escape(snapshot.destination)}{source} &middot; as of
{snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S")} UTC</div>{problem}
<div class="cards">{"".join(cards)}</div>
<h2>Runs over time</h2>{chart(snapshot.runs)}
{error}
<h2>Cursors</h2>{_cursors(snapshot)}
<h2>Last runs</h2>{_runs_table(snapshot.runs) if snapshot.runs else '<p class="sub">None yet.</p>'}
</body></html>
"""
