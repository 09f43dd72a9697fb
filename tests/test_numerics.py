"""Reproducible scores: the engine against an exact numpy computation (so a result cannot depend on the
CPU's instruction set), and a post's scores against its batch mates (issue: the same input gives the same
alerts whatever the batch)."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers import data, fast_e5
from classifiers.model import default_model_dir, load_classifier

pytestmark = pytest.mark.skipif(not fast_e5.available()[0], reason="onnxruntime not installed")

FIXED = [
    "🔴 عاجل | سقوط ثلاث قذائف هاون قرب قاعدة بلد الجوية دون تسجيل إصابات",
    "Protesters blocked the Nasiriyah-Shatra road with burning tyres this morning",
    "صباح الخير",
    "الزوراء ذبح الشرطة بثلاثية 😂⚽ #الدوري_العراقي",
    "يمعود ديروا بالكم من طريق المطار، اكو انتشار امني",
]


@pytest.fixture(scope="module")
def student() -> fast_e5.StudentWeights:
    return fast_e5.StudentWeights(default_model_dir() / "encoder.npz")


def _inputs(enc: fast_e5.FastE5) -> tuple[np.ndarray, np.ndarray]:
    ids, lengths = enc.pad([enc.token_ids(t, "passage: ") for t in FIXED])
    return enc.token_embeddings(ids, lengths)


def test_fp32_engine_matches_a_numpy_reference(student: fast_e5.StudentWeights) -> None:
    """The shipped engine's graph (fused attention included) computes what the float64 numpy reference
    does, to 1e-4: float rounding is all that may differ between machines."""
    enc = fast_e5.FastE5(kind="fp32", student=student.path)
    emb, mask = _inputs(enc)
    got = enc.session.run(["pooled"], {"embeds": emb, "mask": mask})[0]
    want = fast_e5.reference_forward(student, emb, mask, "fp32")
    assert np.abs(got - want).max() < 1e-4, np.abs(got - want).max()
    assert np.abs(want).max() > 0.1  # a real signal, not zeros on both sides


def _one_matmul_session(w: np.ndarray):  # type: ignore[no-untyped-def]
    """A graph holding just the int8 scheme's matmul nodes, built by the same code as the encoder's."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs):  # type: ignore[no-untyped-def]
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    fast_e5.int8_constants(const)
    out = fast_e5.int8_matmul_nodes(node, const, "x", "m", w, "y")
    graph = helper.make_graph(nodes, "one",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "s", w.shape[0]])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def test_int8_products_are_exact_where_full_range_weights_would_saturate() -> None:
    """Rows at full activation scale against columns of maximal weights of one sign: with 8-bit weights,
    AVX2's pairwise 16-bit sums (2 x 255 x 127) overflow and saturate, VNNI's do not. The 7-bit scheme
    stays exact on both, so the graph equals the integer computation to float rounding."""
    rng = np.random.default_rng(7)
    w = rng.normal(size=(384, 64)).astype(np.float32)
    w[:, :8] = np.abs(w[:, :8]) + 1.0  # all-positive columns
    x = np.abs(rng.normal(size=(2, 5, 384))).astype(np.float32) + 0.5  # all-positive rows
    x[..., 0] = 3.0  # one large value per row sets the scale: the rest quantize high
    got = _one_matmul_session(w).run(None, {"x": x})[0]
    want = fast_e5.int8_matmul_reference(x, *fast_e5.quantize_weight(w))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4)
    exact = x @ w  # and it is still x @ w, to the quantization's precision (1% of the largest output)
    assert np.abs(got - exact).max() < 0.01 * np.abs(exact).max()


@pytest.mark.parametrize("kind", ["fp32", "int8"])
def test_embeddings_do_not_depend_on_batch_mates(kind: str, student: fast_e5.StudentWeights) -> None:
    enc = fast_e5.FastE5(kind=kind, student=student.path)
    others = [ex.text for ex in data.load()[:400:6]]  # 64+ unrelated posts of every length
    alone = np.vstack([enc.encode([t]) for t in FIXED])
    enc.clear_memo()
    mixed = enc.encode([*others[:30], *FIXED, *others[30:64]])
    np.testing.assert_array_equal(alone, mixed[30 : 30 + len(FIXED)])


def test_scores_do_not_depend_on_batch_mates() -> None:
    """The shipped classifier: a post scored alone and inside a batch of 64 random others gets the same
    scores (the encoder is bit-identical, the head computes in float64)."""
    clf = load_classifier(None)
    pool = [ex.text for ex in data.load()]
    rng = np.random.default_rng(3)
    for text in FIXED:
        alone = clf.predict([text]).results[0]
        clf.encoder.clear_memo()
        batch = [pool[i] for i in rng.choice(len(pool), 64, replace=False)]
        batch.insert(int(rng.integers(0, 64)), text)
        inside = next(r for t, r in zip(batch, clf.predict(batch).results, strict=True) if t == text)
        assert alone.scores == inside.scores and alone.labels == inside.labels, text
