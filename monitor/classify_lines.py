"""``monitor classify``: JSON lines in, exactly one JSON line out per line in, same order.

A line that cannot be classified (blank, not JSON, nested too deep, over the size limit, no string
``text``, empty text) is answered with ``"labels": []``, ``"scores": {}`` and an ``"error"`` naming the line;
a post in a language the model does not label carries ``"unsupported_language": true`` and its ``"lang"``;
invalid UTF-8 is replaced and classified. A text the classifier fails on costs that line only (the batch is
retried one text at a time). Warnings are summarised per reason (``repeats``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from monitor.bounded_json import JSONInputError, Line, loads, read_lines
from monitor.repeats import RepeatedWarnings

log = logging.getLogger("monitor.classify")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True)
class Row:
    line_no: int
    obj: dict[str, Any] | None  # the input object (kept in the output), when the line was one
    error: str | None = None  # why the line is not classified
    reason: str = ""  # the error's kind, for summarising warnings


def parse_line(line_no: int, line: Line, warnings: RepeatedWarnings) -> Row:
    if line.raw is None:
        return Row(line_no, None, f"line {line_no}: longer than the limit ({line.size} bytes)", "too_large")
    if not line.raw.strip():
        return Row(line_no, None, f"line {line_no}: blank line", "blank")
    try:
        text = line.raw.decode("utf-8")
    except UnicodeDecodeError:
        text = line.raw.decode("utf-8", errors="replace")
        warnings.warn("invalid_utf8", "line %d: invalid UTF-8, bad bytes replaced with U+FFFD", line_no)
    try:
        obj = loads(text.removeprefix("\ufeff"))
    except JSONInputError as exc:
        what = f"not JSON ({exc.detail})" if exc.reason == "invalid_json" else f"JSON {exc.detail}"
        return Row(line_no, None, f"line {line_no}: {what}", exc.reason)
    if not isinstance(obj, dict):
        return Row(line_no, None, f"line {line_no}: not a JSON object", "not_object")
    if not isinstance(obj.get("text"), str):
        return Row(line_no, obj, f"line {line_no}: no string \"text\" field", "no_text")
    return Row(line_no, obj)


def classify_stream(classifier: Any, source: IO[bytes], out: IO[str], *, batch_size: int = 64,
                    warnings: RepeatedWarnings | None = None) -> int:
    """Answer every line of ``source`` on ``out``; returns the number of lines answered."""
    warnings = warnings or RepeatedWarnings(log)
    n = 0
    batch: list[Row] = []
    for line_no, line in enumerate(read_lines(source), start=1):
        batch.append(parse_line(line_no, line, warnings))
        if len(batch) >= batch_size:
            n += _emit(classifier, batch, out, warnings)
            batch = []
    n += _emit(classifier, batch, out, warnings)
    warnings.summarise()
    return n


def _predict(classifier: Any, rows: list[Row], warnings: RepeatedWarnings) -> Iterator[Any]:
    """One result (or the exception it raised) per row: the batch at once, else one text at a time."""
    texts = [_SURROGATE.sub("\ufffd", row.obj["text"]) for row in rows if row.obj is not None]
    try:
        yield from classifier.predict(texts).results if texts else []
        return
    except Exception as exc:  # a text the model cannot take: find it, answer the others
        warnings.warn("classifier", "the classifier failed on a batch (%s: %s); retrying one text at a time",
                      type(exc).__name__, exc)
    for text in texts:
        try:
            yield classifier.predict([text]).results[0]
        except Exception as exc:  # this line's text only: reported on its row
            yield exc


def _emit(classifier: Any, batch: list[Row], out: IO[str], warnings: RepeatedWarnings) -> int:
    if not batch:
        return 0
    todo = [row for row in batch if row.error is None]
    results = iter(list(_predict(classifier, todo, warnings)))
    for row in batch:
        if row.error is None:
            res = next(results)
            if isinstance(res, Exception):
                row.error, row.reason = f"line {row.line_no}: classifier error: {type(res).__name__}", "classifier"
            else:
                assert row.obj is not None
                data = {**row.obj, "labels": res.labels, "scores": res.scores, "cues": res.cues}
                if res.unsupported_language:  # (Kurdish, Persian, Turkish: no label, not a guess)
                    data["unsupported_language"], data["lang"] = True, res.lang
                if res.error:
                    data["error"] = f"line {row.line_no}: {res.error}"
                    warnings.warn("model_error", "%s", data["error"])
                out.write(_dumps(data) + "\n")
                continue
        if row.reason != "blank":
            warnings.warn(row.reason, "%s", row.error)
        data = {**(row.obj or {}), "labels": [], "scores": {}, "error": row.error}
        out.write(_dumps(data) + "\n")
    out.flush()
    return len(batch)


def _dumps(data: dict[str, Any]) -> str:
    """One output line; a value holding a lone surrogate (``"\\ud800"`` in the input) is written escaped, as
    it came, since it has no UTF-8 form."""
    line = json.dumps(data, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(data)
    return line
