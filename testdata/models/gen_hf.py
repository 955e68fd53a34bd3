#!/usr/bin/env python3
"""Generate small BERT, DistilBERT-style and RoBERTa-style models the way Hugging Face's
modeling code computes them, exported with PyTorch's TorchScript exporter with dynamic batch
and sequence axes at several opsets, plus test_data_set_0 with PyTorch's eval-mode outputs.

These are the exports `llmc compile` must take as `llmc run` does (the schedule issue): unlike
gen_bert.py / gen_idioms.py, the embeddings follow HF's own forward, which reads the input's
shape at run time:

  bert        token_type_ids optional: when not given, a zero buffer sliced to the sequence
              length and expanded to [batch, sequence] (Shape/Slice/Expand in the graph);
              extended mask (1 - mask[:, None, None, :]) * finfo.min
  roberta     no token-type input (a one-row type table, its buffer expanded); position ids
              computed from the padding: cumsum(ids != pad) * (ids != pad) + pad (Equal/Not,
              CumSum, Cast in the graph); padding_idx = 1
  distilbert  no token types, positions = arange(seq) expanded (Range), q scaled before Q·Kᵀ,
              masked_fill of (mask == 0).view(...).expand_as(scores) (Where), tanh GELU,
              pre- or post-LayerNorm, and optionally one fused QKV projection (chunk)
  conv1d      BERT whose projections are GPT-2's Conv1D: x.view(-1, n), addmm, view back, so
              the flattened activations have the dim batch*sequence

Every model: 2 layers, hidden 64, 4 heads, intermediate 128, vocab 96, max positions 40;
outputs logits [batch, 2] and last_hidden_state [batch, sequence, 64]; test data batch 2 x
sequence 8, row 1 with three trailing padding tokens.

Usage: python3 gen_hf.py [--out DIR] [NAME ...]     (default: every model into ./hf)
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

from gen_idioms import write_tensors  # test_data_set_N/*.pb as gen_idioms.py writes them

HIDDEN, HEADS, LAYERS, INTER, VOCAB, MAX_POS, LABELS = 64, 4, 2, 128, 96, 40, 2
BATCH, SEQ = 2, 8

# name -> (family, options)
MODELS = collections.OrderedDict([
    ("bert-opset13", ("bert", dict(opset=13))),
    ("bert-opset14", ("bert", dict(opset=14))),
    ("bert-opset17", ("bert", dict(opset=17))),
    ("bert-opset14-notypes", ("bert", dict(opset=14, token_types=False))),
    ("bert-opset14-nofold", ("bert", dict(opset=14, fold=False))),
    ("roberta-opset13", ("roberta", dict(opset=13))),
    ("roberta-opset14", ("roberta", dict(opset=14))),
    ("roberta-opset17", ("roberta", dict(opset=17))),
    ("distilbert-opset13", ("distilbert", dict(opset=13))),
    ("distilbert-opset14", ("distilbert", dict(opset=14))),
    ("distilbert-opset17", ("distilbert", dict(opset=17))),
    ("distilbert-fused-preln-opset14", ("distilbert", dict(opset=14, qkv="fused", ln="pre"))),
    ("distilbert-fused-preln-opset17", ("distilbert", dict(opset=17, qkv="fused", ln="pre"))),
    # GPT-2's Conv1D for every projection: x.view(-1, n) then addmm, viewed back (dims batch*sequence)
    ("bert-conv1d-opset14", ("bert", dict(opset=14, conv1d=True))),
])


class Conv1D(nn.Module):
    """GPT-2's projection: a [in, out] weight applied with addmm to the input flattened to 2-D."""

    def __init__(self, nx, nf):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


def linear(opts, nin, nout):
    return Conv1D(nin, nout) if opts.get("conv1d") else nn.Linear(nin, nout)


class Embeddings(nn.Module):
    """Word + position (+ token type) embeddings, then LayerNorm (post-LN models)."""

    def __init__(self, family, opts):
        super().__init__()
        self.family = family
        self.pad = 1 if family == "roberta" else 0
        self.word_embeddings = nn.Embedding(VOCAB, HIDDEN, padding_idx=self.pad)
        self.position_embeddings = nn.Embedding(MAX_POS, HIDDEN, padding_idx=self.pad if family == "roberta" else None)
        types = {"bert": 2, "roberta": 1}.get(family, 0)
        if types:
            self.token_type_embeddings = nn.Embedding(types, HIDDEN)
            self.register_buffer("token_type_ids", torch.zeros((1, MAX_POS), dtype=torch.long), persistent=False)
        self.register_buffer("position_ids", torch.arange(MAX_POS).expand((1, -1)), persistent=False)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=1e-12 if family != "roberta" else 1e-5)
        self.post_ln = opts.get("ln", "post") == "post"

    def forward(self, input_ids, token_type_ids=None):
        input_shape = input_ids.size()
        seq_length = input_shape[1]
        if self.family == "roberta":
            # positions count the non-padding tokens, starting after padding_idx
            mask = input_ids.ne(self.pad).int()
            incremental = torch.cumsum(mask, dim=1).type_as(mask) * mask
            position_ids = incremental.long() + self.pad
        elif self.family == "distilbert":
            position_ids = torch.arange(seq_length, dtype=torch.long, device=input_ids.device)
            position_ids = position_ids.unsqueeze(0).expand_as(input_ids)
        else:
            position_ids = self.position_ids[:, 0:seq_length]
        x = self.word_embeddings(input_ids)
        if hasattr(self, "token_type_embeddings"):
            if token_type_ids is None:
                buffered = self.token_type_ids[:, :seq_length]
                token_type_ids = buffered.expand(input_shape[0], seq_length)
            x = x + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(position_ids)
        if self.post_ln:
            x = self.LayerNorm(x)
        return x


class SelfAttention(nn.Module):
    def __init__(self, family, opts):
        super().__init__()
        self.family = family
        self.d = HIDDEN // HEADS
        self.fused = opts.get("qkv") == "fused"
        if self.fused:
            self.qkv = linear(opts, HIDDEN, 3 * HIDDEN)
        else:
            self.query = linear(opts, HIDDEN, HIDDEN)
            self.key = linear(opts, HIDDEN, HIDDEN)
            self.value = linear(opts, HIDDEN, HIDDEN)
        self.dense = linear(opts, HIDDEN, HIDDEN)

    def heads(self, x):
        bs = x.size(0)
        if self.family == "distilbert":
            return x.view(bs, -1, HEADS, self.d).transpose(1, 2)
        return x.view(x.size()[:-1] + (HEADS, self.d)).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        if self.fused:
            q, k, v = self.qkv(x).chunk(3, dim=-1)
        else:
            q, k, v = self.query(x), self.key(x), self.value(x)
        q, k, v = self.heads(q), self.heads(k), self.heads(v)
        if self.family == "distilbert":
            bs, klen = x.size(0), x.size(1)
            q = q / math.sqrt(self.d)
            scores = torch.matmul(q, k.transpose(2, 3))
            m = (mask == 0).view(bs, 1, 1, klen).expand_as(scores)
            scores = scores.masked_fill(m, torch.tensor(torch.finfo(scores.dtype).min))
        else:
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
            scores = scores + mask
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v)
        if self.family == "distilbert":
            ctx = ctx.transpose(1, 2).contiguous().view(x.size(0), -1, HIDDEN)
        else:
            ctx = ctx.permute(0, 2, 1, 3).contiguous()
            ctx = ctx.view(ctx.size()[:-2] + (HIDDEN,))
        return self.dense(ctx)


class Layer(nn.Module):
    def __init__(self, family, opts):
        super().__init__()
        self.pre = opts.get("ln", "post") == "pre"
        eps = 1e-5 if family == "roberta" else 1e-12
        self.attention = SelfAttention(family, opts)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=eps)
        self.fc1 = linear(opts, HIDDEN, INTER)
        self.fc2 = linear(opts, INTER, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=eps)
        self.act = nn.GELU(approximate="tanh") if family == "distilbert" and opts.get("qkv") == "fused" else nn.GELU()

    def forward(self, x, mask):
        if self.pre:
            x = x + self.attention(self.ln1(x), mask)
            return x + self.fc2(self.act(self.fc1(self.ln2(x))))
        x = self.ln1(x + self.attention(x, mask))
        return self.ln2(x + self.fc2(self.act(self.fc1(x))))


class Model(nn.Module):
    def __init__(self, family, opts):
        super().__init__()
        self.family = family
        self.pre = opts.get("ln", "post") == "pre"
        self.embeddings = Embeddings(family, opts)
        self.layers = nn.ModuleList([Layer(family, opts) for _ in range(LAYERS)])
        if self.pre:
            self.final_ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.classifier = nn.Linear(HIDDEN, LABELS)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        x = self.embeddings(input_ids, token_type_ids)
        if self.family == "distilbert":
            mask = attention_mask
        else:
            ext = attention_mask[:, None, None, :].to(torch.float32)
            mask = (1.0 - ext) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, mask)
        if self.pre:
            x = self.final_ln(x)
        return self.classifier(torch.tanh(x[:, 0])), x


def init_weights(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, Conv1D)):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * 0.05)
                module.bias.copy_(torch.randn(module.bias.shape, generator=g) * 0.02)
            elif isinstance(module, nn.Embedding):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * 0.05)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.copy_(1.0 + 0.1 * torch.randn(module.weight.shape, generator=g))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=g))


def make_inputs(family, opts, seed):
    rng = np.random.RandomState(seed + 2000)
    pad = 1 if family == "roberta" else 0
    ids = rng.randint(2, VOCAB, size=(BATCH, SEQ)).astype(np.int64)
    mask = np.ones((BATCH, SEQ), dtype=np.int64)
    mask[1, SEQ - 3:] = 0  # row 1: three trailing padding tokens
    ids[mask == 0] = pad
    names, arrays = ["input_ids", "attention_mask"], [ids, mask]
    if family == "bert" and opts.get("token_types", True):
        tt = rng.randint(0, 2, size=(BATCH, SEQ)).astype(np.int64)
        tt[mask == 0] = 0
        names.append("token_type_ids")
        arrays.append(tt)
    return names, arrays


def generate(name, out_root, seed=11):
    family, opts = MODELS[name]
    torch.manual_seed(seed)
    model = Model(family, opts)
    init_weights(model, seed)
    model.eval()
    out = os.path.join(out_root, name)
    os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
    path = os.path.join(out, "model.onnx")
    in_names, in_arrays = make_inputs(family, opts, seed)
    inputs = tuple(torch.from_numpy(a) for a in in_arrays)
    with torch.no_grad():
        logits, hidden = model(*inputs)
    out_names = ["logits", "last_hidden_state"]
    axes = {n: {0: "batch", 1: "sequence"} for n in in_names}
    axes["logits"] = {0: "batch"}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    kw = dict(input_names=in_names, output_names=out_names, dynamic_axes=axes,
              opset_version=opts["opset"], do_constant_folding=opts.get("fold", True))
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    with torch.no_grad():
        torch.onnx.export(model, inputs, path, **kw)
    import onnx
    m = onnx.load(path)
    m.doc_string = "llmc HF-style model %s: %s %s seed=%d" % (name, family, sorted(opts.items()), seed)
    onnx.checker.check_model(m)
    onnx.save_model(m, path)
    d = os.path.join(out, "test_data_set_0")
    write_tensors(d, "input", in_names, in_arrays)
    write_tensors(d, "output", out_names, [logits.numpy(), hidden.numpy()])
    hist = collections.Counter(n.op_type for n in m.graph.node)
    print("%-32s nodes=%d size=%d  %s" % (name, len(m.graph.node), os.path.getsize(path),
                                          ", ".join("%s=%d" % kv for kv in sorted(hist.items()))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf"))
    p.add_argument("names", nargs="*", help="models to generate (default: all)")
    args = p.parse_args(argv)
    for n in args.names or MODELS:
        if n not in MODELS:
            p.error("unknown model %r (have: %s)" % (n, ", ".join(MODELS)))
        generate(n, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
