"""Tokenizer and text encoder.

The tokenizer is word level and saved as a Hugging Face `tokenizer.json`, so the
engine reads it with @huggingface/tokenizers and gets the same ids as here. The
encoder is a small transformer trained to name every attribute of a caption: it
learns the synonyms and word orders of the captions, and its pooled vector gives
the denoiser the whole prompt at once.
"""
import json
import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

from config import TextConfig

PAD, UNK = "[PAD]", "[UNK]"
_WORDS = re.compile(r"\w+|[^\w\s]+")  # the Whitespace pre-tokenizer of HF tokenizers


class Tokenizer:
    def __init__(self, words: list[str]):
        self.vocab = {PAD: 0, UNK: 1}
        for w in list(words) + [",", ";", ":", "."]:
            self.vocab.setdefault(w, len(self.vocab))

    def encode(self, text: str, max_tokens: int) -> tuple[list[int], list[int]]:
        """Ids and attention mask, truncated and padded to `max_tokens`."""
        ids = [self.vocab.get(w, 1) for w in _WORDS.findall(text.lower())][:max_tokens]
        mask = [1] * len(ids) + [0] * (max_tokens - len(ids))
        return ids + [0] * (max_tokens - len(ids)), mask

    def batch(self, texts: list[str], max_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
        pairs = [self.encode(t, max_tokens) for t in texts]
        return (torch.tensor([p[0] for p in pairs], dtype=torch.long),
                torch.tensor([p[1] for p in pairs], dtype=torch.long))

    def save(self, path: str) -> None:
        special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                    "normalized": False, "special": True} for t, i in ((PAD, 0), (UNK, 1))]
        doc = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
               "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
               "post_processor": None, "decoder": None,
               "model": {"type": "WordLevel", "vocab": self.vocab, "unk_token": UNK}}
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)


def masked_attention(q, k, v, key_mask):
    """softmax(q k^T / sqrt(d)) v with keys masked out where key_mask == 0.

    q: (B, h, N, d), k/v: (B, h, M, d), key_mask: (B, M). A finite fill keeps a row
    whose keys are all masked (the empty prompt) free of NaN; None attends to all. Written out because
    torch 1.13 has no scaled_dot_product_attention.
    """
    # The scale is a Python number (head widths are fixed), so an ONNX export gets a
    # constant on q, not a Shape -> Cast -> Pow -> Div chain on every score.
    scores = (q * (1.0 / math.sqrt(int(q.shape[-1])))) @ k.transpose(-1, -2)  # (B, h, N, M)
    if key_mask is not None:
        scores = scores.masked_fill(key_mask[:, None, None, :] == 0, -1e4)
    return scores.softmax(-1) @ v


class SelfAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.out = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, mask):  # x: (B, L, D), mask: (B, L)
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        x = x + self.out(masked_attention(q, k, v, mask).transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    """(input_ids, attention_mask) -> (text_tokens (B, L, D), text_pooled (B, D))."""

    def __init__(self, cfg: TextConfig, vocab_size: int, max_tokens: int, attribute_sizes: dict):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, cfg.width)
        self.position = nn.Parameter(torch.randn(max_tokens, cfg.width) * 0.02)
        self.blocks = nn.ModuleList([SelfAttentionBlock(cfg.width, cfg.heads) for _ in range(cfg.layers)])
        self.norm = nn.LayerNorm(cfg.width)
        self.pool = nn.Linear(cfg.width, cfg.width)
        # Training-only heads: naming each attribute is what teaches the encoder the language.
        self.heads = nn.ModuleDict({k: nn.Linear(cfg.width, n) for k, n in attribute_sizes.items()})

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.float()  # (B, L)
        x = self.embed(input_ids) + self.position[: input_ids.shape[1]]  # (B, L, D)
        for block in self.blocks:
            x = block(x, mask)
        tokens = self.norm(x)
        mean = (tokens * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return tokens, self.pool(mean)

    def attribute_loss(self, pooled, targets: dict):
        """Cross-entropy of every attribute head; targets: name -> (B,) class index."""
        return sum(F.cross_entropy(self.heads[k](pooled), t) for k, t in targets.items())
