"""How an alert reads in Slack (Block Kit) and in mail (text + HTML): one place, so both sinks show the same
facts: labels with scores, platform and channel, time in UTC and Baghdad time, the original text, the
source link, related sources and the cues.

Arabic text is kept readable: in Slack each line of the original text is wrapped in Unicode first-strong
isolates (U+2068 ... U+2069) so right-to-left text never drags the surrounding left-to-right markup (links,
labels) into its direction; in HTML the text sits in ``dir="auto"`` blocks."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from monitor.models import Alert, event_headline, parse_iso
from monitor.sinks.console import BAGHDAD, cue_text

__all__ = ["digest_html", "digest_subject", "digest_text", "email_html", "email_subject", "email_text",
           "headline", "isolate", "labels_line", "slack_alert_blocks", "slack_group_blocks", "slack_text",
           "slack_update_blocks", "source_name", "times"]

FSI, PDI = "\u2068", "\u2069"
SLACK_TEXT_LIMIT = 2900  # a section's text may hold 3,000 characters
SLACK_RELATED_LIMIT = 10


def labels_line(alert: Alert) -> str:
    """``attack_claim 0.93, threat 0.71``."""
    return ", ".join(f"{lb} {alert.scores.get(lb, 0.0):.2f}" for lb in alert.labels) or "(no label)"


def source_name(post: dict[str, Any], titles: dict[str, str] | None = None) -> str:
    """``telegram/Sabereen News #1234``: platform, channel (its name when known: the export's chat name,
    the Telegram title, the X @username; otherwise the handle or id) and the platform's message id."""
    channel = str(post.get("channel", "?"))
    name = (titles or {}).get(f"{post.get('platform')}:{channel}") or channel
    return f"{post.get('platform', '?')}/{name} #{post.get('message_id', '?')}"


def headline(alert: Alert) -> str | None:
    """The alert's event in one English line (``Attack claim (…) · Diwaniyah, Qadisiyah · STAT → US
    logistics convoy · IED``), or None when no event was extracted."""
    return event_headline(alert.event_record)


def times(post: dict[str, Any]) -> tuple[str, str]:
    """The post's time in UTC and in Baghdad (UTC+3 all year), ready to print."""
    try:
        when: datetime = parse_iso(str(post["date"]))
    except (KeyError, ValueError):
        return "unknown time", "unknown time"
    return f"{when:%Y-%m-%d %H:%M} UTC", f"{when.astimezone(BAGHDAD):%Y-%m-%d %H:%M} Baghdad"


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def isolate(text: str) -> str:
    """Each line wrapped in first-strong isolates: an Arabic line renders right-to-left without reordering
    the left-to-right text around it (and an English line is unaffected)."""
    return "\n".join(f"{FSI}{line}{PDI}" if line.strip() else line for line in text.splitlines())


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_link(url: str | None, label: str) -> str:
    if not url:
        return _mrkdwn_escape(label)
    return f"<{url}|{_mrkdwn_escape(label)}>"


# --- Slack -------------------------------------------------------------------------------------------------

def slack_text(alert: Alert) -> str:
    """The notification / fallback text of a message (what a phone shows)."""
    url = alert.post.get("url")
    line = headline(alert)
    return ((f"{line} | " if line else "") + f"[{labels_line(alert)}] {one_line(str(alert.post.get('text', '')), 140)}"
            + (f" {url}" if url else ""))


def slack_alert_blocks(alert: Alert) -> list[dict[str, Any]]:
    """One alert as a full Block Kit message."""
    post = alert.post
    utc_time, baghdad_time = times(post)
    header = "🚨 " + " · ".join(f"{lb.upper()} {alert.scores.get(lb, 0.0):.2f}" for lb in alert.labels)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _truncate(header or "🚨 alert", 150)}},
    ]
    line = headline(alert)
    if line:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{_mrkdwn_escape(line)}*"}})
    blocks += [
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Labels*\n{labels_line(alert)}"},
            {"type": "mrkdwn", "text": f"*Source*\n{_slack_link(post.get('url'), source_name(post, alert.titles))}"},
            {"type": "mrkdwn", "text": f"*Time*\n{utc_time}\n{baghdad_time}"},
            {"type": "mrkdwn", "text": f"*Sources*\n{alert.sources} (alert `{alert.alert_id}`)"},
        ]},
        {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(
            isolate(_mrkdwn_escape(str(post.get("text", "")))) or "(no text)", SLACK_TEXT_LIMIT)}},
    ]
    if post.get("url"):
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"<{post['url']}|Open the source post>"}})
    if alert.related:
        lines = [_related_line(rel, alert.titles) for rel in alert.related[:SLACK_RELATED_LIMIT]]
        if len(alert.related) > SLACK_RELATED_LIMIT:
            lines.append(f"… and {len(alert.related) - SLACK_RELATED_LIMIT} more")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _truncate(
            "*Related sources*\n" + "\n".join(lines), SLACK_TEXT_LIMIT)}})
    cues = _cues_line(alert)
    if cues:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _truncate(cues, 2000)}]})
    return blocks


def _related_line(rel: dict[str, Any], titles: dict[str, str] | None = None) -> str:
    snippet = _mrkdwn_escape(one_line(str(rel.get("text", "")), 90))
    return f"• {_slack_link(rel.get('url'), source_name(rel, titles))} {FSI}{snippet}{PDI}"


def _cues_line(alert: Alert) -> str:
    return " · ".join(f"cues {lb}: {cue_text(cues)}" for lb, cues in alert.cues.items())


def slack_update_blocks(alert: Alert) -> list[dict[str, Any]]:
    """A story update as a thread reply: the newest source and the new total."""
    newest = alert.related[-1] if alert.related else alert.post
    text = (f"*Also reported by* {_related_line(newest, alert.titles).removeprefix('• ')}\n"
            f"now {alert.sources} sources · {labels_line(alert)}")
    return [{"type": "section", "text": {"type": "mrkdwn", "text": _truncate(text, SLACK_TEXT_LIMIT)}}]


def slack_group_blocks(alerts: list[Alert]) -> list[dict[str, Any]]:
    """Several alerts of one burst in one message (at most ``max_group`` of them: Slack allows 50 blocks)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"🚨 {len(alerts)} alerts"}}]
    for alert in alerts:
        post = alert.post
        utc_time, baghdad_time = times(post)
        line = headline(alert)
        text = ((f"*{_mrkdwn_escape(line)}*\n" if line else "") +
                f"*{_mrkdwn_escape(labels_line(alert))}* · "
                f"{_slack_link(post.get('url'), source_name(post, alert.titles))} · "
                f"{utc_time} ({baghdad_time}) · {alert.sources} source(s)\n"
                f"{isolate(_mrkdwn_escape(one_line(str(post.get('text', '')), 400)))}")
        if alert.related:
            text += "\n" + "\n".join(_related_line(rel, alert.titles) for rel in alert.related[:3])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _truncate(text, SLACK_TEXT_LIMIT)}})
        blocks.append({"type": "divider"})
    return blocks[:50]


# --- mail --------------------------------------------------------------------------------------------------

def email_subject(alert: Alert) -> str:
    line = headline(alert)
    if line:
        return f"[{labels_line(alert)}] {one_line(line, 110)}"
    return f"[{labels_line(alert)}] {one_line(str(alert.post.get('text', '')), 70)}"


def _text_block(alert: Alert) -> list[str]:
    post = alert.post
    utc_time, baghdad_time = times(post)
    line = headline(alert)
    lines = [*([line] if line else []),
             f"ALERT {alert.alert_id}  [{labels_line(alert)}]  sources={alert.sources}",
             f"  {source_name(post, alert.titles)}  {utc_time} ({baghdad_time})",
             *(f"  | {line}" for line in str(post.get("text", "")).splitlines() if line.strip())]
    if post.get("url"):
        lines.append(f"  link: {post['url']}")
    for label, cues in alert.cues.items():
        lines.append(f"  cues {label}: {cue_text(cues)}")
    for rel in alert.related:
        lines.append(f"  + {source_name(rel, alert.titles)} {rel.get('date', '')} {rel.get('url') or ''}".rstrip())
        lines.append(f"    {one_line(str(rel.get('text', '')), 120)}")
    return lines


def email_text(alert: Alert) -> str:
    return "\n".join(_text_block(alert)) + "\n"


def _html_block(alert: Alert) -> str:
    post = alert.post
    utc_time, baghdad_time = times(post)
    e = html.escape
    name = source_name(post, alert.titles)
    link = f'<a href="{e(post["url"], quote=True)}">{e(name)}</a>' if post.get("url") else e(name)
    text = "<br>".join(e(line) for line in str(post.get("text", "")).splitlines())
    line = headline(alert)
    parts = [*([f'<p style="margin:0;font-weight:bold">{e(line)}</p>'] if line else []),
             f'<h3 style="margin:0">{e(labels_line(alert))}</h3>',
             f"<p>{link} · {e(utc_time)} ({e(baghdad_time)}) · {alert.sources} source(s) · "
             f"alert <code>{e(alert.alert_id)}</code></p>",
             f'<blockquote dir="auto" style="font-size:15px">{text}</blockquote>']
    cues = [f"<li>{e(lb)}: {e(cue_text(c))}</li>" for lb, c in alert.cues.items()]
    if cues:
        parts.append("<p>Cues:</p><ul>" + "".join(cues) + "</ul>")
    if alert.related:
        items = []
        for rel in alert.related:
            rname = source_name(rel, alert.titles)
            rlink = f'<a href="{e(rel["url"], quote=True)}">{e(rname)}</a>' if rel.get("url") else e(rname)
            items.append(f'<li>{rlink} {e(str(rel.get("date", "")))}<br>'
                         f'<span dir="auto">{e(one_line(str(rel.get("text", "")), 200))}</span></li>')
        parts.append("<p>Related sources:</p><ul>" + "".join(items) + "</ul>")
    return "\n".join(parts)


def _html_page(body: str) -> str:
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
            f'<body style="font-family:sans-serif">{body}</body></html>\n')


def email_html(alert: Alert) -> str:
    return _html_page(_html_block(alert))


def split_new_updated(alerts: Iterable[Alert]) -> tuple[list[Alert], list[Alert]]:
    """Latest state per alert id, split into stories raised in this period and stories only updated."""
    latest: dict[str, Alert] = {}
    raised: set[str] = set()
    for alert in alerts:
        latest[alert.alert_id] = alert
        if alert.event == "new":
            raised.add(alert.alert_id)
    new = [a for aid, a in latest.items() if aid in raised]
    updated = [a for aid, a in latest.items() if aid not in raised]
    return new, updated


def digest_subject(alerts: list[Alert]) -> str:
    new, updated = split_new_updated(alerts)
    counts: dict[str, int] = {}
    for alert in new + updated:
        for lb in alert.labels:
            counts[lb] = counts.get(lb, 0) + 1
    by_label = ", ".join(f"{lb} {n}" for lb, n in sorted(counts.items()))
    head = f"Alert digest: {len(new)} new" + (f", {len(updated)} updated" if updated else "")
    return head + (f" ({by_label})" if by_label else "")


def digest_text(alerts: list[Alert]) -> str:
    new, updated = split_new_updated(alerts)
    out: list[str] = []
    for title, group in (("New alerts", new), ("Updated alerts (new sources)", updated)):
        if group:
            out.append(f"== {title}: {len(group)}\n")
            for alert in group:
                out.extend(_text_block(alert))
                out.append("")
    return "\n".join(out) + "\n"


def digest_html(alerts: list[Alert]) -> str:
    new, updated = split_new_updated(alerts)
    body: list[str] = []
    for title, group in (("New alerts", new), ("Updated alerts (new sources)", updated)):
        if group:
            body.append(f"<h2>{html.escape(title)}: {len(group)}</h2>")
            body.extend(_html_block(alert) + "<hr>" for alert in group)
    return _html_page("\n".join(body))
