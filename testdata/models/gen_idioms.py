#!/usr/bin/env python3
"""Generate small transformer models that use the idioms other models and exporters use.

Each idiom is one variant of a 2-layer encoder (hidden 64, 4 heads, intermediate 128), exported
with PyTorch's TorchScript exporter with dynamic ``batch``/``sequence`` axes, plus
``test_data_set_0`` holding PyTorch's eval-mode reference outputs (batch 2, sequence 8, the
second row padded).  The fusion tests (passes/idioms_test.go) check that llmc -O2 fuses every
variant and still matches these outputs.

  fused-qkv-split   one Linear(h, 3h) then qkv.split(h, dim=-1)
  fused-qkv-chunk   one Linear(h, 3h) then qkv.chunk(3, dim=-1)
  prescaled-query   q * 1/sqrt(d) before Q·Kᵀ (BART/T5 style) instead of scores / sqrt(d)
  masked-fill       scores.masked_fill(mask[:, None, None, :] == 0, finfo.min) (Where)
  tanh-gelu         GELU(approximate='tanh')
  pre-ln            pre-LayerNorm blocks (x + attn(LN(x)); x + mlp(LN(x)); final LN)
  no-token-type     BERT without token_type_ids (2 inputs)
  opset13-nofold    standard BERT, opset 13, do_constant_folding=False
  bert-opset12      standard BERT, opset 12
  bert-opset11      standard BERT, opset 11
  pre-ln-opset17, fused-qkv-chunk-opset17, masked-fill-opset17
                    the same idioms exported at opset 17 (native LayerNormalization)
  gelu-new          HF gelu_new: 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715 pow(x, 3))))
  gelu-fast         HF gelu_fast: 0.5x(1 + tanh(0.7978845608 x (1 + 0.044715 x x)))
  qk-prescaled      Whisper style: q and k heads each scaled by d^-1/4
  arange-positions  DistilBERT style: positions = arange(seq).unsqueeze(0).expand_as(ids),
                    no token types

Weights are small (vocab 64, max positions 32, no pooler: logits = classifier(h[:, 0])) so each
model stays below 300 KB.  Output is deterministic for a given torch/onnx version.

Usage: python3 gen_idioms.py [--out idioms] [NAME ...]
"""

import argparse
import collections
import inspect
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HIDDEN, HEADS, LAYERS, INTER, VOCAB, MAX_POS, TYPES, LABELS = 64, 4, 2, 128, 64, 32, 2, 2
BATCH, SEQ = 2, 8

# name -> variant switches (defaults: standard HF BERT exported at opset 14 with folding).
IDIOMS = collections.OrderedDict([
    ("fused-qkv-split", dict(qkv="split")),
    ("fused-qkv-chunk", dict(qkv="chunk")),
    ("prescaled-query", dict(scale="prescale")),
    ("masked-fill", dict(mask="where")),
    ("tanh-gelu", dict(gelu="tanh")),
    ("pre-ln", dict(ln="pre")),
    ("no-token-type", dict(token_type=False)),
    ("opset13-nofold", dict(opset=13, fold=False)),
    ("bert-opset12", dict(opset=12)),
    ("bert-opset11", dict(opset=11)),
    # opset 17: LayerNorm exports as LayerNormalization, Split takes its sizes as an input
    ("pre-ln-opset17", dict(ln="pre", opset=17)),
    ("fused-qkv-chunk-opset17", dict(qkv="chunk", opset=17)),
    ("masked-fill-opset17", dict(mask="where", opset=17)),
    # more spellings seen in the wild
    ("gelu-new", dict(gelu="new")),
    ("gelu-fast", dict(gelu="fast")),
    ("qk-prescaled", dict(scale="qk")),
    ("arange-positions", dict(positions="arange", token_type=False)),
])

DEFAULTS = dict(qkv="separate", scale="div", mask="additive", gelu="erf", ln="post",
                token_type=True, opset=14, fold=True, positions="buffer")


class NewGELU(nn.Module):
    """HF gelu_new (GPT-2): the tanh approximation written out with torch.pow."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class FastGELU(nn.Module):
    """HF gelu_fast: the same approximation factored as sqrt(2/pi)·x·(1 + 0.044715·x·x)."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


class SelfAttention(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = v
        self.d = HIDDEN // HEADS
        if v["qkv"] == "separate":
            self.query = nn.Linear(HIDDEN, HIDDEN)
            self.key = nn.Linear(HIDDEN, HIDDEN)
            self.value = nn.Linear(HIDDEN, HIDDEN)
        else:
            self.qkv = nn.Linear(HIDDEN, 3 * HIDDEN)
        self.dense = nn.Linear(HIDDEN, HIDDEN)

    def heads(self, x):
        x = x.view(x.size()[:-1] + (HEADS, self.d))
        return x.permute(0, 2, 1, 3)

    def forward(self, x, mask):
        if self.v["qkv"] == "separate":
            q, k, v = self.query(x), self.key(x), self.value(x)
        elif self.v["qkv"] == "split":
            q, k, v = self.qkv(x).split(HIDDEN, dim=-1)
        else:
            q, k, v = self.qkv(x).chunk(3, dim=-1)
        if self.v["scale"] == "prescale":
            q = q * (1.0 / math.sqrt(self.d))
        q, k, v = self.heads(q), self.heads(k), self.heads(v)
        if self.v["scale"] == "qk":
            # Whisper style: d^-1/4 on each of the split heads of q and k
            q = q * self.d ** -0.25
            k = k * self.d ** -0.25
        scores = torch.matmul(q, k.transpose(-1, -2))
        if self.v["scale"] == "div":
            scores = scores / math.sqrt(self.d)
        if self.v["mask"] == "where":
            scores = scores.masked_fill(mask[:, None, None, :] == 0, torch.finfo(scores.dtype).min)
        else:
            scores = scores + mask
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (HIDDEN,))
        return self.dense(ctx)


class Layer(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = v
        self.attention = SelfAttention(v)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=1e-12 if v["ln"] == "post" else 1e-5)
        self.fc1 = nn.Linear(HIDDEN, INTER)
        self.fc2 = nn.Linear(INTER, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=1e-12 if v["ln"] == "post" else 1e-5)
        self.act = {"tanh": lambda: nn.GELU(approximate="tanh"), "new": NewGELU,
                    "fast": FastGELU, "erf": nn.GELU}[v["gelu"]]()

    def forward(self, x, mask):
        if self.v["ln"] == "pre":
            x = x + self.attention(self.ln1(x), mask)
            return x + self.fc2(self.act(self.fc1(self.ln2(x))))
        x = self.ln1(x + self.attention(x, mask))
        return self.ln2(x + self.fc2(self.act(self.fc1(x))))


class Model(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = v
        self.word_embeddings = nn.Embedding(VOCAB, HIDDEN, padding_idx=0)
        self.position_embeddings = nn.Embedding(MAX_POS, HIDDEN)
        if v["token_type"]:
            self.token_type_embeddings = nn.Embedding(TYPES, HIDDEN)
        self.register_buffer("position_ids", torch.arange(MAX_POS).expand((1, -1)), persistent=False)
        # post-LN (BERT): LayerNorm right after the embeddings; pre-LN (GPT): a final LayerNorm.
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-12 if v["ln"] == "post" else 1e-5)
        self.layers = nn.ModuleList([Layer(v) for _ in range(LAYERS)])
        self.classifier = nn.Linear(HIDDEN, LABELS)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        seq = input_ids.size(1)
        x = self.word_embeddings(input_ids)
        if token_type_ids is not None:
            x = x + self.token_type_embeddings(token_type_ids)
        if self.v["positions"] == "arange":
            # DistilBERT style: positions made on the fly
            pos = torch.arange(seq, dtype=torch.long, device=input_ids.device)
            pos = pos.unsqueeze(0).expand_as(input_ids)
        else:
            pos = self.position_ids[:, 0:seq]
        x = x + self.position_embeddings(pos)
        if self.v["ln"] == "post":
            x = self.ln(x)
        if self.v["mask"] == "where":
            mask = attention_mask
        else:
            mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, mask)
        if self.v["ln"] == "pre":
            x = self.ln(x)
        return self.classifier(x[:, 0]), x


def init_weights(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * 0.02)
                module.bias.copy_(torch.randn(module.bias.shape, generator=g) * 0.02)
            elif isinstance(module, nn.Embedding):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * 0.02)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.copy_(1.0 + 0.1 * torch.randn(module.weight.shape, generator=g))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=g))


def make_inputs(token_type, seed):
    rng = np.random.RandomState(seed + 1000)
    ids = rng.randint(1, VOCAB, size=(BATCH, SEQ)).astype(np.int64)
    tt = rng.randint(0, TYPES, size=(BATCH, SEQ)).astype(np.int64)
    mask = np.ones((BATCH, SEQ), dtype=np.int64)
    mask[1, SEQ - 3:] = 0  # row 1: three trailing padding tokens
    ids[mask == 0] = 0
    tt[mask == 0] = 0
    names = ["input_ids", "attention_mask"]
    arrays = [ids, mask]
    if token_type:
        names.append("token_type_ids")
        arrays.append(tt)
    return names, arrays


def write_tensors(d, prefix, names, arrays):
    from onnx import numpy_helper
    for i, (name, arr) in enumerate(zip(names, arrays)):
        with open(os.path.join(d, "%s_%d.pb" % (prefix, i)), "wb") as f:
            f.write(numpy_helper.from_array(arr, name).SerializeToString())


def generate(name, out_root, seed=7):
    v = dict(DEFAULTS, **IDIOMS[name])
    torch.manual_seed(seed)
    model = Model(v)
    init_weights(model, seed)
    model.eval()
    out = os.path.join(out_root, name)
    os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
    path = os.path.join(out, "model.onnx")

    in_names, in_arrays = make_inputs(v["token_type"], seed)
    inputs = tuple(torch.from_numpy(a) for a in in_arrays)
    with torch.no_grad():
        logits, hidden = model(*inputs)
    out_names = ["logits", "last_hidden_state"]
    axes = {n: {0: "batch", 1: "sequence"} for n in in_names}
    axes["logits"] = {0: "batch"}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    kw = dict(input_names=in_names, output_names=out_names, dynamic_axes=axes,
              opset_version=v["opset"], do_constant_folding=v["fold"])
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    with torch.no_grad():
        torch.onnx.export(model, inputs, path, **kw)

    import onnx
    m = onnx.load(path)
    m.doc_string = "llmc idiom model %s: %s seed=%d" % (name, sorted(v.items()), seed)
    onnx.checker.check_model(m)
    onnx.save_model(m, path)
    d = os.path.join(out, "test_data_set_0")
    write_tensors(d, "input", in_names, in_arrays)
    write_tensors(d, "output", out_names, [logits.numpy(), hidden.numpy()])
    hist = collections.Counter(n.op_type for n in m.graph.node)
    print("%-16s opset=%d nodes=%d size=%d  %s" % (
        name, v["opset"], len(m.graph.node), os.path.getsize(path),
        ", ".join("%s=%d" % kv for kv in sorted(hist.items()))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "idioms"))
    p.add_argument("names", nargs="*", help="idioms to generate (default: all)")
    args = p.parse_args(argv)
    for n in args.names or IDIOMS:
        if n not in IDIOMS:
            p.error("unknown idiom %r (have: %s)" % (n, ", ".join(IDIOMS)))
        generate(n, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
