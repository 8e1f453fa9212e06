#!/usr/bin/env python3
# Reference vectors of all-MiniLM-L6-v2 for the local embedder test, from an independent NumPy
# implementation of BERT + mean pooling + L2 norm (needs: pip install numpy tokenizers safetensors).
# Usage: tools/minilm_reference.py <model dir> "sentence" ...
# Independent reference: BERT forward in numpy (sentence-transformers' mean pooling + L2 norm).
import numpy as np, json, sys
from safetensors.numpy import load_file
from tokenizers import Tokenizer
d = sys.argv[1]
W = load_file(d + "/model.safetensors")
cfg = json.load(open(d + "/config.json"))
tok = Tokenizer.from_file(d + "/tokenizer.json")
tok.no_padding(); tok.enable_truncation(256)
def ln(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b
from math import erf, sqrt
verf = np.vectorize(erf)
def gelu(x): return 0.5 * x * (1 + verf(x / sqrt(2)))
def embed(text):
    ids = np.array(tok.encode(text).ids)
    n = len(ids)
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:n] + W["embeddings.token_type_embeddings.weight"][0]
    x = ln(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
    H = cfg["num_attention_heads"]; dh = cfg["hidden_size"] // H
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        q = x @ W[p+"attention.self.query.weight"].T + W[p+"attention.self.query.bias"]
        k = x @ W[p+"attention.self.key.weight"].T + W[p+"attention.self.key.bias"]
        v = x @ W[p+"attention.self.value.weight"].T + W[p+"attention.self.value.bias"]
        q = q.reshape(n, H, dh).transpose(1, 0, 2); k = k.reshape(n, H, dh).transpose(1, 0, 2); v = v.reshape(n, H, dh).transpose(1, 0, 2)
        a = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        a = np.exp(a - a.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(1, 0, 2).reshape(n, -1)
        c = c @ W[p+"attention.output.dense.weight"].T + W[p+"attention.output.dense.bias"]
        x = ln(c + x, W[p+"attention.output.LayerNorm.weight"], W[p+"attention.output.LayerNorm.bias"])
        h = gelu(x @ W[p+"intermediate.dense.weight"].T + W[p+"intermediate.dense.bias"])
        h = h @ W[p+"output.dense.weight"].T + W[p+"output.dense.bias"]
        x = ln(h + x, W[p+"output.LayerNorm.weight"], W[p+"output.LayerNorm.bias"])
    m = x.mean(0)
    return m / np.linalg.norm(m)
for s in sys.argv[2:]:
    e = embed(s)
    print(json.dumps(s), "[" + ", ".join(f"{v:.6f}" for v in e[:8]) + "]")
