"""The ``monitor`` command line. Contract for ``replay`` and ``classify`` is fixed (other tooling relies on
it): see the README. User errors print one line and exit 2; no tracebacks."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli_context import CliContext, Level, LogLevel, cli_context, enter, fail
from monitor.logs import configure

# pretty_exceptions_show_locals=False: a crash must never print local variables (settings hold secrets)
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Monitor Telegram / X sources for threats, attack claims and protests.")
log = logging.getLogger("monitor")

ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="model directory, transformers checkpoint, hf:<hub-id>, or full (the 12-layer reference) "
    "(default: the shipped distilled model; env MONITOR_MODEL)")]


def version() -> str:
    """The installed package's version (the source tree's pyproject when run uninstalled)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("iraq-monitor")
    except PackageNotFoundError:
        import tomllib

        with (Path(__file__).resolve().parent.parent / "pyproject.toml").open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"monitor {version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    show_version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="print the version and exit")] = False,
    redis_url: Annotated[str | None, typer.Option(
        "--redis-url", help="the Redis server of every command (before REDIS_URL, then the config's redis_url; "
        "none: an embedded server where a command can use one)")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="YAML config for every command (a command's own --config wins; env MONITOR_CONFIG)")]
    = None,
) -> None:
    """Monitor Telegram / X sources for threats, attack claims and protests."""
    enter(ctx, CliContext(redis_url=redis_url, config_path=config))


def _load_model(spec: str | None) -> Any:
    from classifiers.model import ModelNotFound, OtherLanguages, load_classifier
    from monitor.settings import Settings

    settings = Settings.from_env()
    spec = spec or settings.model
    try:
        return load_classifier(spec, other_languages=OtherLanguages.flag(settings.other_languages))
    except ModelNotFound as exc:
        fail(str(exc))
    except (OSError, ValueError, RuntimeError) as exc:
        fail(f"cannot load model {spec!r}: {exc}")


@app.command()
def replay(
    paths: Annotated[list[Path], typer.Argument(help="dump files or folders")],
    fmt: Annotated[str, typer.Option("--format", help="auto|telegram-export|telethon-jsonl|twarc2|jsonl")]
    = "auto",
    output: Annotated[str, typer.Option("--output", help="jsonl|text")] = "jsonl",
    sink: Annotated[list[str] | None, typer.Option(
        "--sink", help="also deliver to: slack, email (repeatable; env SLACK_* / SMTP_*); console is always on")]
    = None,
    keep: Annotated[bool, typer.Option("--keep", help="keep the replay's Redis namespace")] = False,
    namespace: Annotated[str | None, typer.Option(
        "--namespace", help="replay into this namespace (kept: a console or `alerts` can open it) instead of a "
        "new replay:<id>")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 64,
    story_window: Annotated[float, typer.Option(
        "--story-window", help="hours within which a post can join an earlier story (by post time)")] = 48.0,
    open_margin: Annotated[float | None, typer.Option(
        "--open-margin", help="a flagged post alerts alone only this far above its label's threshold, else it "
        "waits for a confident or independent report (default: the model's; 0: every flagged post alerts)")]
    = None,
    model: ModelOpt = None,
    log_level: LogLevel = Level.INFO,
) -> None:
    """Push stored dumps through the full pipeline and print the alerts."""
    configure(log_level)
    from monitor.dumps import FORMATS, DumpFormatError
    from monitor.pipeline import ModelError
    from monitor.queue import client
    from monitor.replay import Replay, plan_files
    from monitor.settings import Settings, mask_url
    from monitor.signatures import MatchConfig
    from monitor.sinks import ConsoleSink

    if fmt != "auto" and fmt not in FORMATS:
        fail(f"unknown --format {fmt!r}; expected auto or one of: {', '.join(FORMATS)}")
    if output not in ("jsonl", "text"):
        fail(f"unknown --output {output!r}; expected jsonl or text")
    if story_window <= 0:
        fail("--story-window must be a positive number of hours")
    if open_margin is not None and not 0 <= open_margin <= 1:
        fail("--open-margin must be between 0 and 1 (a score difference)")
    from monitor.sinks import build_sinks

    settings = Settings.from_env()
    try:  # console (stdout) is always there; --sink adds the others, built from the environment
        extra_sinks = build_sinks([name for name in sink or [] if name != "console"], settings)
    except ValueError as exc:
        fail(str(exc))
    try:
        files = plan_files(paths, fmt)
    except (DumpFormatError, FileNotFoundError) as exc:
        fail(str(exc))
    if not files:
        fail(f"no dump files (*.json, *.jsonl, *.ndjson) under {', '.join(map(str, paths))}")
    classifier = _load_model(model)

    async def go(url: str) -> Any:
        r = client(url)
        try:
            await r.ping()
            runner = Replay(r, classifier, [ConsoleSink(output=output, mode="final"), *extra_sinks],
                            batch_size=batch_size, namespace=namespace,
                            match=MatchConfig.for_classifier(classifier, story_window, open_margin))
            return await runner.run(files, keep=keep or namespace is not None)
        finally:
            await r.aclose()

    context = cli_context()
    try:
        with context.redis(embedded=True) as url:
            stats = asyncio.run(go(url))
    except DumpFormatError as exc:
        fail(str(exc))
    except ModelError as exc:
        fail(f"the model failed (posts left unclassified): {exc}", code=1)
    except OSError as exc:
        where = context.resolve_redis_url()
        fail(f"redis at {mask_url(where) if where else 'embedded'}: {exc}")
    summary = stats.summary()
    if keep or namespace:
        summary["namespace"] = stats.namespace
    typer.echo("replay summary: " + json.dumps(summary, ensure_ascii=False), err=True)
    # exit 1: a partial run (something malformed or dead-lettered), or a requested sink that got nothing
    silent = [s.name for s in extra_sinks if stats.alerts and not stats.delivered.get(s.name)]
    for name in silent:
        typer.echo(f"monitor: error: sink {name} delivered none of {stats.alerts} alert(s) "
                   f"(see the dead list: {stats.dead} dead-lettered)", err=True)
    if silent or stats.partial:
        raise typer.Exit(1)


@app.command()
def classify(
    path: Annotated[str, typer.Argument(help="JSON lines with a 'text' field; - for stdin")] = "-",
    batch_size: Annotated[int, typer.Option("--batch-size")] = 64,
    model: ModelOpt = None,
    log_level: LogLevel = Level.WARNING,
) -> None:
    """JSON lines in, the same lines out with "labels" and "scores" added: one line out per line in, same
    order (a line that cannot be classified gets "labels": [] and an "error")."""
    configure(log_level)
    classifier = _load_model(model)
    if path == "-":
        source = sys.stdin.buffer
    else:
        try:
            source = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            fail(f"{path}: {exc.strerror}")
    from monitor.classify_lines import classify_stream

    t0 = time.perf_counter()
    try:
        n = classify_stream(classifier, source, sys.stdout, batch_size=batch_size)
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    elapsed = time.perf_counter() - t0
    log.info("classified %d lines in %.2fs (%.1f/s)", n, elapsed, n / elapsed if elapsed else 0)


def _read_feeds(paths: list[Path], what: str | None = None) -> list[Any]:
    """The labelled feeds at ``paths`` (``monitor.feed_eval.load_feed``), or a clean exit naming ``what`` (the
    option or the role the feeds were given for) and what is wrong with them."""
    from monitor.feed_eval import FeedError, load_feed

    try:
        return load_feed(paths)
    except (OSError, FeedError) as exc:
        fail(f"{what}: {exc}" if what else str(exc))


def _keep_story_thresholds(clf: Any, target: Path) -> None:
    """Story thresholds belong to the embedding space: a retrained head on the same encoder keeps the ones
    tuned before; a new encoder needs them tuned again (``python -m bench.stories --tune``)."""
    from classifiers.model import default_model_dir

    path = target / "meta.json"
    if not path.exists():  # a new directory: the shipped model's, when the encoder is the same
        path = default_model_dir() / "meta.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    if "story_thresholds" not in old:
        return
    if old.get("encoder") == clf.encoder.spec():
        clf.meta["story_thresholds"] = old["story_thresholds"]
    else:
        logging.getLogger(__name__).warning(
            "the encoder changed: the story thresholds in %s were dropped (defaults apply); tune them for the new "
            "encoder with `python -m bench.stories --tune --model %s` and add them as story_thresholds", path, target)


@app.command()
def train(
    backbone: Annotated[str, typer.Option(
        help="e5-distilled (the shipped 4-layer student, default), e5-distilled:<file> (from monitor distill), "
        "e5-passage (the full 12 layers; the reference is trained with --out classifiers/models/full), "
        "e5 (query prefix), hf:<path-or-id>")] = "e5-distilled",
    finetune: Annotated[str | None, typer.Option(
        "--finetune", help="fully fine-tune this transformers checkpoint instead (GPU when present)")] = None,
    out: Annotated[Path | None, typer.Option(help="output directory (default: the shipped model)")] = None,
    seed: Annotated[int, typer.Option()] = 13,
    epochs: Annotated[int, typer.Option(help="fine-tuning epochs")] = 4,
    limit: Annotated[int | None, typer.Option(help="use only the first N training examples (smoke runs)")]
    = None,
    lexical: Annotated[bool, typer.Option("--lexical/--no-lexical",
                                          help="blend in the char n-gram channel (weight chosen by CV)")] = True,
    segments: Annotated[bool | None, typer.Option(
        "--segments/--whole-posts", help="score each item of a multi-item post (a roundup, a numbered thread) "
        "too, each label taking its best piece; or whole posts (and long posts' chunks) only (default: chosen "
        "with the other settings)")] = None,
    select_on: Annotated[str, typer.Option(
        help="cv: choose the head's settings and thresholds by 5-fold CV on train+dev; dev: on the dev split "
        "alone (for an encoder fine-tuned on the train split's labels)")] = "cv",
    calibrate_on: Annotated[list[Path] | None, typer.Option(
        "--calibrate-on", help="with --select-on dev: a labelled feed (feed format, repeatable; e.g. "
        "classifiers/data/feed_dev.jsonl) whose Arabic and English posts join the dev split in tuning the "
        "thresholds, so they hold at a feed's base rates")] = None,
    train_on: Annotated[list[Path] | None, typer.Option(
        "--train-on", help="a labelled feed (feed format, repeatable) whose Arabic and English posts join the "
        "train split: posts written as real channels write them, at their base rates; with --select-on dev "
        "each feed also joins the threshold tuning, scored by the head fitted without it")] = None,
    l2: Annotated[float | None, typer.Option(
        "--l2", help="pin the head's L2 regularisation instead of choosing it (make train: 100)")] = None,
    blend: Annotated[float | None, typer.Option(
        "--blend", help="pin the char n-gram channel's weight, 0 to 0.5, instead of choosing it")] = None,
    denial: Annotated[float | None, typer.Option(
        "--denial", help="pin the factor on attack_claim when every attack cue is negated, in (0, 1]")] = None,
    short_chars: Annotated[int | None, typer.Option(
        "--short-chars", min=1, help="with --select-on dev and --train-on or --calibrate-on: posts of fewer "
        "characters get thresholds of their own, tuned on the pooled posts of that length (off by default; make "
        "train does not use it)")]
    = None,
    feedback: Annotated[str | None, typer.Option(
        help="add the verdicts recorded on this namespace's alerts to training; the candidate is written to "
        "--out (default models/feedback-<time>) and promoted only when the feed figures do not get worse")]
    = None,
    feed: Annotated[list[Path] | None, typer.Option(
        "--feed", help="with --feedback: the labelled feed the gate scores both models on (repeatable; "
        "default: the bundled feed development set, so the test set stays unseen)")] = None,
    model: ModelOpt = None,
    promote_to: Annotated[Path | None, typer.Option(
        help="with --feedback: where a candidate that passes the gate goes (the old model stays beside it as "
        "<dir>.previous); without it nothing is promoted")] = None,
    tolerance: Annotated[float, typer.Option(
        min=0.0, help="with --feedback: how much a macro-F1 may drop (0.005 = half a point) and false alerts "
        "per 100 quiet posts rise (x100) before the gate refuses")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="with --feedback: print the report as JSON")] = False,
    log_level: LogLevel = Level.INFO,
) -> None:
    """Rebuild the classifier from the labeled corpus (seeded; thresholds tuned on dev; test untouched).
    --feedback NAMESPACE: also learn from analysts' verdicts, behind a gate (exit 1 when it refuses)."""
    configure(log_level)
    from classifiers import data
    from classifiers.model import default_model_dir
    from classifiers.train import finetune as run_finetune
    from classifiers.train import make_encoder, train_head

    examples = data.load()
    if feedback:
        _train_feedback(feedback, examples, feed=feed, model=model, out=out, promote_to=promote_to,
                        tolerance=tolerance, seed=seed, limit=limit, as_json=as_json)
        return
    if finetune:
        target = out or Path("models/finetuned")
        info = run_finetune(finetune, examples, target, seed=seed, epochs=epochs, limit=limit)
        typer.echo(json.dumps({"saved": str(target), **info}, ensure_ascii=False))
        return
    try:
        encoder = make_encoder(backbone)
    except (ValueError, RuntimeError, OSError) as exc:
        fail(str(exc))
    if select_on not in ("cv", "dev"):
        fail(f"--select-on must be cv or dev, not {select_on!r}")
    calibrate: list[tuple[str, tuple[str, ...]]] | None = None
    feeds: list[list[Any]] | None = None
    if calibrate_on:
        if select_on != "dev":
            fail("--calibrate-on needs --select-on dev (the feed is scored by the head fitted on train)")
        calibrate = [(it.post.text, it.labels) for it in _read_feeds(calibrate_on, "--calibrate-on")]
        if not calibrate:
            fail("--calibrate-on: the feed holds no posts")
    if train_on:
        from monitor.feed_eval import feed_examples

        if calibrate_on and set(map(Path.resolve, train_on)) & set(map(Path.resolve, calibrate_on)):
            fail("--train-on and --calibrate-on name the same feed: its thresholds would be tuned in-sample")
        feeds = [feed_examples(_read_feeds([path], "--train-on")) for path in train_on]
    try:
        clf, info = train_head(encoder, examples, seed=seed, limit=limit, use_lexical=lexical, select_on=select_on,
                               calibrate=calibrate, feeds=feeds, segments=segments, l2=l2, blend=blend,
                               denial=denial, short_chars=short_chars)
    except ValueError as exc:
        fail(str(exc))
    if train_on and feeds:
        info["trained_on_feeds"] = {"files": [p.name for p in train_on], "posts": sum(map(len, feeds))}
    target = out or default_model_dir()
    _keep_story_thresholds(clf, target)
    clf.save(target)
    typer.echo(json.dumps({"saved": str(target), **info}, ensure_ascii=False))


def _train_feedback(namespace: str, examples: list[Any], *, feed: list[Path] | None, model: str | None,
                    out: Path | None, promote_to: Path | None, tolerance: float, seed: int, limit: int | None,
                    as_json: bool) -> None:
    from classifiers.model import EmbeddingClassifier
    from classifiers.train import train_head
    from monitor import feedback as fb
    from monitor.cli_sinks import _triage
    from monitor.feed_eval import development_feed, per_post

    paths = feed or development_feed()
    items = _read_feeds(paths, "the gate's feed")
    if not items:
        fail("the gate's feed holds no posts")
    collected = _triage(namespace, fb.collect)
    if not collected.posts:
        fail(f"no usable verdicts on namespace {namespace!r} ({collected.summary()['skipped'] or 'none recorded'}):"
             " give verdicts with `monitor alerts verdict` or the console first")
    baseline = _load_model(model)
    if not isinstance(baseline, EmbeddingClassifier):
        fail("--feedback retrains an embedding-head model (the shipped kind); this one is a fine-tuned "
             "transformers checkpoint")
    target = out or Path("models") / f"feedback-{fb.stamp()}"
    if (target / "meta.json").exists():
        fail(f"{target} already holds a model: choose another --out")
    fit_on = (examples[:limit] if limit else examples) + [p.example() for p in collected.posts]
    select_on, feeds, segments, pinned = _baseline_recipe(baseline.meta)
    if limit:
        feeds = None  # a smoke run: the first N corpus posts, no feeds (so no length bands either)
        pinned.pop("short_chars", None)
    clf, info = train_head(baseline.encoder, fit_on, seed=seed, progress=not as_json, select_on=select_on,
                           feeds=feeds, segments=segments, **pinned)
    clf.meta["feedback"] = {"namespace": namespace, **collected.summary()}
    if "story_thresholds" in baseline.meta:  # same encoder, same geometry
        clf.meta["story_thresholds"] = baseline.meta["story_thresholds"]
    if getattr(baseline, "item_bars", None):  # the baseline's recipe; the gate below judges the result
        clf.item_bars = dict(baseline.item_bars)
        clf.meta["item_bars_chosen_on"] = baseline.meta.get("item_bars_chosen_on", [])
    clf.save(target)
    before, after = fb.gate_figures(per_post(baseline, items)), fb.gate_figures(per_post(clf, items))
    passed, lines = fb.decide(before, after, tolerance=tolerance)
    report: dict[str, Any] = {
        "namespace": namespace, "feedback": collected.summary(), "candidate": str(target),
        "baseline": model or "default", "feed": [str(p) for p in paths], "tolerance": tolerance,
        "baseline_figures": before, "candidate_figures": after, "gate": lines, "passed": passed,
        "promote_to": str(promote_to) if promote_to else None, "promoted": False, "training": info}
    if passed and promote_to is not None:
        previous = fb.promote(target, promote_to)
        report.update(promoted=True, promoted_to=str(promote_to), previous=str(previous) if previous else None)
    fb.write_report(target / "feedback-report.json", report)
    typer.echo(json.dumps(report, ensure_ascii=False) if as_json else fb.format_report(report))
    if not passed:
        raise typer.Exit(1)


def _baseline_recipe(meta: dict[str, Any]) -> tuple[str, list[list[Any]] | None, bool | None, dict[str, Any]]:
    """How the baseline's head was fitted (``meta.json``): settings chosen on the dev split or by
    cross-validation, the bundled feeds it was trained on (``--train-on``), segment scoring when it was
    forced (``--segments``) and the settings it pinned (``--l2``, ``--blend``, ``--denial``), so that the
    feedback candidate differs from it by the verdicts alone."""
    from classifiers.train import PINNABLE, SELECTED_ON_DEV
    from monitor.feed_eval import bundled_feed, feed_examples

    select_on = "dev" if meta.get("selected_on") == SELECTED_ON_DEV else "cv"
    paths = [bundled_feed(name) for name in (meta.get("trained_on_feeds") or {}).get("files") or []]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        fail(f"the baseline was trained on feeds this install lacks ({', '.join(map(str, missing))})")
    feeds = [feed_examples(_read_feeds([path], "the baseline's training feed")) for path in paths]
    segments = bool(meta.get("by_segment")) if meta.get("segments_forced") else None
    pinned: dict[str, Any] = {PINNABLE[k]: float(meta[k]) for k in meta.get("settings_pinned") or ()
                              if k in PINNABLE and k in meta}
    if meta.get("short_chars") and meta.get("short_thresholds") and feeds:
        pinned["short_chars"] = int(meta["short_chars"])  # the length bands it was tuned with
    return select_on, feeds or None, segments, pinned


@app.command()
def distill(
    out: Annotated[Path, typer.Option(help="where to write the student (.npz)")] = Path("build/encoder.npz"),
    layers: Annotated[int, typer.Option(min=1, max=12, help="transformer layers of the student")] = 4,
    epochs: Annotated[int, typer.Option(min=1)] = 5,
    lr: Annotated[float, typer.Option(help="peak learning rate (AdamW, warm-up then linear decay)")] = 2e-4,
    per_text: Annotated[int, typer.Option(help="seeded variants per training post")] = 3,
    init: Annotated[Path | None, typer.Option(help="continue from this student (a second stage)")] = None,
    relational: Annotated[float, typer.Option(help="weight of the pairwise-cosine loss")] = 0.0,
    supervised: Annotated[float, typer.Option(help="weight of the train split's label loss")] = 0.0,
    probe_init: Annotated[Path | None, typer.Option(
        help="start the label loss's probe from this fitted head.npz (end-to-end fine-tuning)")] = None,
    seed: Annotated[int, typer.Option()] = 13,
    threads: Annotated[int | None, typer.Option(help="torch and ONNX Runtime threads (default: all cores)")]
    = None,
    limit: Annotated[int | None, typer.Option(help="use only the first N training posts (smoke runs)")] = None,
    train_on: Annotated[list[Path] | None, typer.Option(
        "--train-on", help="a labelled feed (feed format, repeatable) whose Arabic and English posts join the "
        "train split")] = None,
    log_level: LogLevel = Level.INFO,
) -> None:
    """Distil e5-small into a student with fewer layers (needs the [hf] extra: torch). Then fit the head on
    it: monitor train --backbone e5-distilled:<out>. The shipped student's two stages: make distill."""
    configure(log_level)
    try:
        import torch  # noqa: F401

        from classifiers.distill import distill as run_distill
    except ImportError as exc:
        fail(f"distillation needs torch: pip install 'iraq-monitor[hf]' ({exc})")
    extra = None
    if train_on:
        from monitor.feed_eval import feed_examples

        extra = feed_examples(_read_feeds(train_on, "--train-on"))
    info = run_distill(out, layers=layers, epochs=epochs, lr=lr, per_text=per_text, init=init,
                       relational=relational, supervised=supervised, seed=seed, threads=threads, limit=limit,
                       probe_init=probe_init, extra=extra)
    typer.echo(json.dumps({"saved": str(out), **{k: v for k, v in info.items() if k != "history"}},
                          ensure_ascii=False))


@app.command()
def evaluate(
    path: Annotated[Path | None, typer.Argument(help="labeled JSONL (corpus format); default: the corpus")]
    = None,
    split: Annotated[str, typer.Option(help="train|dev|test|all")] = "test",
    feed: Annotated[list[Path] | None, typer.Option(
        "--feed", help="a labeled feed file (classifiers/data/feed/*.jsonl; repeatable): per-post figures at the "
        "feed's base rates, then a replay through the pipeline for alert precision and alerts per real event")]
    = None,
    replay: Annotated[bool, typer.Option("--replay/--no-replay", help="with --feed: also replay it")] = True,
    batch_size: Annotated[int, typer.Option(help="with --feed: the replay's classify batch")] = 64,
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output with every error")]
    = False,
    errors: Annotated[int, typer.Option(help="errors to list")] = 40,
    log_level: LogLevel = Level.WARNING,
) -> None:
    """Per-label and per-language precision, recall and F1, and the errors made (--feed: on a labeled feed,
    with false alerts per 100 quiet posts and, after a replay, alert precision and alerts per real event)."""
    configure(log_level)
    from classifiers.evaluate import evaluate as run_eval
    from classifiers.evaluate import format_report, load_examples, to_json

    if feed:
        _evaluate_feed(feed, model, replay=replay, batch_size=batch_size, as_json=as_json, errors=errors)
        return
    if split not in ("train", "dev", "test", "all"):
        fail(f"unknown --split {split!r}")
    try:
        examples = load_examples(path, split)
    except (OSError, ValueError, KeyError) as exc:
        fail(f"{path}: {exc}")
    if not examples:
        fail("no examples to evaluate")
    result = run_eval(_load_model(model), examples)
    typer.echo(to_json(result) if as_json else format_report(result, errors))


def _evaluate_feed(paths: list[Path], model: str | None, *, replay: bool, batch_size: int, as_json: bool,
                   errors: int) -> None:
    from monitor.feed_eval import alert_metrics, format_feed_report, per_post, replay_feed

    items = _read_feeds(paths)
    if not items:
        fail("the feed holds no posts")
    classifier = _load_model(model)
    result: dict[str, Any] = {"feed": [str(p) for p in paths], "per_post": per_post(classifier, items)}
    if replay:
        from monitor.queue import client

        async def go(url: str) -> Any:
            r = client(url)
            try:
                await r.ping()
                return await replay_feed(r, classifier, items, batch_size=batch_size)
            finally:
                await r.aclose()

        with cli_context().redis(embedded=True) as url:
            alerts, summary = asyncio.run(go(url))
        result["after_replay"] = {**alert_metrics(items, alerts), "replay": summary}
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else format_feed_report(result, errors))


# --- command groups defined in their own modules (one registration line each) ---
from monitor.cli_collectors import telegram_login  # noqa: E402 - after the core commands

app.command("telegram-login")(telegram_login)
from monitor.cli_sinks import alerts_app, dead_app, replays_app, silence_app  # noqa: E402 - after the core commands

app.add_typer(silence_app, name="silence")
app.add_typer(dead_app, name="dead")
app.add_typer(alerts_app, name="alerts")
app.add_typer(replays_app, name="replays")
from monitor.cli_web import users_app as _users_app  # noqa: E402
from monitor.cli_web import web as _web  # noqa: E402

app.command("web")(_web)
app.add_typer(_users_app, name="users")
from monitor.cli_export import export as _export  # noqa: E402
from monitor.cli_service import check as _check  # noqa: E402 - registered after the core commands
from monitor.cli_service import config_app as _config_app  # noqa: E402
from monitor.cli_service import run as _run  # noqa: E402

app.command("run")(_run)
app.command("export")(_export)
app.command("check")(_check)
app.add_typer(_config_app, name="config")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
