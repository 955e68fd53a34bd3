#!/usr/bin/env python3
"""Generate BERT ONNX models (plus reference test data) for llmc tests.

Self-contained re-implementation of Hugging Face's ``BertModel`` +
``BertForSequenceClassification`` (no ``transformers`` dependency).  The module
structure, op order and attention-mask handling follow HF's modeling_bert.py
so that the exported graph looks like an HF export:

  embeddings = LayerNorm(word[input_ids] + token_type[token_type_ids] + position[0:seq])
  per layer:
    q, k, v = Linear(h) each, viewed [B, S, heads, head_dim] and permuted to [B, heads, S, head_dim]
    scores  = q @ k^T / sqrt(head_dim) + extended_mask
    ctx     = softmax(scores) @ v  -> permute + reshape [B, S, hidden]
    h       = LayerNorm(Linear(ctx) + h)
    h       = LayerNorm(Linear(gelu_erf(Linear(h))) + h)
  pooled = tanh(Linear(h[:, 0]))
  logits = Linear(pooled)

extended_mask = (1.0 - attention_mask[:, None, None, :].float()) * finfo(float32).min
(``--mask-style 10000`` uses the older -10000.0 constant instead).

Outputs: ``logits`` [batch, num_labels] and ``last_hidden_state`` [batch, sequence, hidden].

Writes DIR/model.onnx and DIR/test_data_set_0/{input_0..2,output_0..1}.pb
(ONNX-backend-test layout; inputs: input_ids, attention_mask, token_type_ids,
outputs: logits, last_hidden_state).

Example:
  python3 gen_bert.py --layers 2 --hidden 128 --heads 2 --intermediate 512 \
      --vocab 1024 --max-pos 128 --labels 2 --seed 1 --opset 14 \
      --out bert-tiny-opset14
"""

import argparse
import collections
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAMES = ["logits", "last_hidden_state"]


class BertConfig:
    def __init__(self, vocab_size=30522, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072,
                 max_position_embeddings=512, type_vocab_size=2, num_labels=2,
                 layer_norm_eps=1e-12, hidden_dropout_prob=0.1,
                 attention_probs_dropout_prob=0.1, initializer_range=0.02,
                 mask_style="hf"):
        if hidden_size % num_attention_heads != 0:
            raise ValueError("hidden size %d is not a multiple of heads %d"
                             % (hidden_size, num_attention_heads))
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.num_labels = num_labels
        self.layer_norm_eps = layer_norm_eps
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range
        self.mask_style = mask_style


class BertEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=0)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.register_buffer(
            "position_ids", torch.arange(config.max_position_embeddings).expand((1, -1)),
            persistent=False)

    def forward(self, input_ids, token_type_ids):
        seq_length = input_ids.size(1)
        position_ids = self.position_ids[:, 0:seq_length]
        inputs_embeds = self.word_embeddings(input_ids)
        token_type_embeddings = self.token_type_embeddings(token_type_ids)
        embeddings = inputs_embeds + token_type_embeddings
        position_embeddings = self.position_embeddings(position_ids)
        embeddings = embeddings + position_embeddings
        embeddings = self.LayerNorm(embeddings)
        embeddings = self.dropout(embeddings)
        return embeddings


class BertSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = nn.Linear(config.hidden_size, self.all_head_size)
        self.key = nn.Linear(config.hidden_size, self.all_head_size)
        self.value = nn.Linear(config.hidden_size, self.all_head_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask):
        mixed_query_layer = self.query(hidden_states)
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)

        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        attention_scores = attention_scores + attention_mask
        attention_probs = nn.functional.softmax(attention_scores, dim=-1)
        attention_probs = self.dropout(attention_probs)

        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        context_layer = context_layer.view(new_context_layer_shape)
        return context_layer


class BertSelfOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states)
        hidden_states = self.LayerNorm(hidden_states + input_tensor)
        return hidden_states


class BertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden_states, attention_mask):
        self_outputs = self.self(hidden_states, attention_mask)
        return self.output(self_outputs, hidden_states)


class BertIntermediate(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = nn.GELU()  # exact (erf) GELU, HF "gelu"

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states)
        hidden_states = self.LayerNorm(hidden_states + input_tensor)
        return hidden_states


class BertLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden_states, attention_mask):
        attention_output = self.attention(hidden_states, attention_mask)
        intermediate_output = self.intermediate(attention_output)
        return self.output(intermediate_output, attention_output)


class BertEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, hidden_states, attention_mask):
        for layer_module in self.layer:
            hidden_states = layer_module(hidden_states, attention_mask)
        return hidden_states


class BertPooler(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        first_token_tensor = hidden_states[:, 0]
        return self.activation(self.dense(first_token_tensor))


class BertModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config)

    def get_extended_attention_mask(self, attention_mask, dtype=torch.float32):
        # HF ModuleUtilsMixin.get_extended_attention_mask for a 2D mask.
        extended_attention_mask = attention_mask[:, None, None, :]
        extended_attention_mask = extended_attention_mask.to(dtype=dtype)
        if self.config.mask_style == "10000":
            # transformers < 4.21 behaviour
            extended_attention_mask = (1.0 - extended_attention_mask) * -10000.0
        else:
            extended_attention_mask = (1.0 - extended_attention_mask) * torch.finfo(dtype).min
        return extended_attention_mask

    def forward(self, input_ids, attention_mask, token_type_ids):
        extended_attention_mask = self.get_extended_attention_mask(attention_mask)
        embedding_output = self.embeddings(input_ids, token_type_ids)
        sequence_output = self.encoder(embedding_output, extended_attention_mask)
        pooled_output = self.pooler(sequence_output)
        return sequence_output, pooled_output


class BertForSequenceClassification(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        sequence_output, pooled_output = self.bert(input_ids, attention_mask, token_type_ids)
        pooled_output = self.dropout(pooled_output)
        logits = self.classifier(pooled_output)
        return logits, sequence_output


def init_weights(model, config, seed):
    """HF-like init (normal std=initializer_range, zero-ish bias) but with
    non-trivial LayerNorm gamma/beta and small non-zero biases so that every
    parameter actually matters in the tests."""
    g = torch.Generator().manual_seed(seed)
    std = config.initializer_range
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.Linear):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * std)
                if module.bias is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=g) * std)
            elif isinstance(module, nn.Embedding):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) * std)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.copy_(1.0 + 0.1 * torch.randn(module.weight.shape, generator=g))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=g))


def make_inputs(config, batch, seq, seed):
    rng = np.random.RandomState(seed + 1000)
    input_ids = rng.randint(0, config.vocab_size, size=(batch, seq)).astype(np.int64)
    token_type_ids = rng.randint(0, 2, size=(batch, seq)).astype(np.int64)
    attention_mask = np.ones((batch, seq), dtype=np.int64)
    for b in range(batch):
        # Row 0 unpadded; other rows get progressively more trailing padding.
        # With batch == 1 the single row gets some padding so that the mask is
        # always exercised.
        if batch == 1 or b > 0:
            pad = max(1, (seq * (b if batch > 1 else 1)) // (2 * max(batch, 2)) + b)
            pad = min(pad, seq - 1)
            attention_mask[b, seq - pad:] = 0
    # Typical BERT inputs: [CLS]-like first token, padded positions use id 0.
    input_ids[attention_mask == 0] = 0
    token_type_ids[attention_mask == 0] = 0
    return input_ids, attention_mask, token_type_ids


def write_test_data(out_dir, inputs, outputs):
    from onnx import numpy_helper
    d = os.path.join(out_dir, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    for i, (name, arr) in enumerate(zip(INPUT_NAMES, inputs)):
        t = numpy_helper.from_array(arr, name)
        with open(os.path.join(d, "input_%d.pb" % i), "wb") as f:
            f.write(t.SerializeToString())
    for i, (name, arr) in enumerate(zip(OUTPUT_NAMES, outputs)):
        t = numpy_helper.from_array(arr, name)
        with open(os.path.join(d, "output_%d.pb" % i), "wb") as f:
            f.write(t.SerializeToString())


def summarize(path):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(path if os.path.getsize(path) > 2**31 - 1 else m)
    hist = collections.Counter(n.op_type for n in m.graph.node)
    opset = {o.domain or "ai.onnx": o.version for o in m.opset_import}
    print("%s: opset=%s nodes=%d initializers=%d size=%d bytes"
          % (path, opset, len(m.graph.node), len(m.graph.initializer),
             os.path.getsize(path)))
    for io, vals in (("inputs", m.graph.input), ("outputs", m.graph.output)):
        descs = []
        for v in vals:
            dims = [d.dim_param or str(d.dim_value) for d in v.type.tensor_type.shape.dim]
            descs.append("%s[%s]" % (v.name, ",".join(dims)))
        print("  %s: %s" % (io, " ".join(descs)))
    print("  ops: " + ", ".join("%s=%d" % kv for kv in sorted(hist.items())))
    return m, hist


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--intermediate", type=int, default=512)
    p.add_argument("--vocab", type=int, default=1024)
    p.add_argument("--max-pos", type=int, default=128)
    p.add_argument("--type-vocab", type=int, default=2)
    p.add_argument("--labels", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--opset", type=int, default=14)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--batch", type=int, default=2, help="batch of the reference test data")
    p.add_argument("--seq", type=int, default=16, help="sequence length of the reference test data")
    p.add_argument("--mask-style", choices=["hf", "10000"], default="hf",
                   help="hf: (1-mask)*finfo(float32).min; 10000: (1-mask)*-10000.0")
    p.add_argument("--no-test-data", action="store_true")
    p.add_argument("--external-data", action="store_true",
                   help="store weights in DIR/model.onnx.data (ONNX external data)")
    p.add_argument("--no-constant-folding", action="store_true")
    p.add_argument("--quiet", action="store_true", help="do not print the summary")
    args = p.parse_args(argv)

    if args.seq > args.max_pos:
        p.error("--seq %d exceeds --max-pos %d" % (args.seq, args.max_pos))

    torch.manual_seed(args.seed)
    config = BertConfig(vocab_size=args.vocab, hidden_size=args.hidden,
                        num_hidden_layers=args.layers, num_attention_heads=args.heads,
                        intermediate_size=args.intermediate,
                        max_position_embeddings=args.max_pos,
                        type_vocab_size=args.type_vocab, num_labels=args.labels,
                        mask_style=args.mask_style)
    model = BertForSequenceClassification(config)
    init_weights(model, config, args.seed)
    model.eval()

    os.makedirs(args.out, exist_ok=True)
    model_path = os.path.join(args.out, "model.onnx")

    inputs_np = make_inputs(config, args.batch, args.seq, args.seed)
    inputs_t = tuple(torch.from_numpy(a) for a in inputs_np)

    with torch.no_grad():
        logits, last_hidden = model(*inputs_t)
    outputs_np = [logits.float().numpy(), last_hidden.float().numpy()]

    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    dynamic_axes["logits"] = {0: "batch"}
    dynamic_axes["last_hidden_state"] = {0: "batch", 1: "sequence"}

    export_kwargs = dict(
        input_names=INPUT_NAMES,
        output_names=OUTPUT_NAMES,
        dynamic_axes=dynamic_axes,
        opset_version=args.opset,
        do_constant_folding=not args.no_constant_folding,
    )
    # torch >= 2.5 defaults to the dynamo exporter (needs onnxscript); force the
    # classic TorchScript exporter where the keyword exists.
    import inspect
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        export_kwargs["dynamo"] = False

    with torch.no_grad():
        torch.onnx.export(model, inputs_t, model_path, **export_kwargs)

    import onnx
    m = onnx.load(model_path)
    # Drop any stale external data file before (re)writing.
    data_name = "model.onnx.data"
    data_path = os.path.join(args.out, data_name)
    if os.path.exists(data_path):
        os.remove(data_path)
    m.doc_string = ("llmc test BERT: layers=%d hidden=%d heads=%d intermediate=%d vocab=%d "
                    "max_pos=%d labels=%d seed=%d opset=%d mask_style=%s"
                    % (args.layers, args.hidden, args.heads, args.intermediate, args.vocab,
                       args.max_pos, args.labels, args.seed, args.opset, args.mask_style))
    if args.external_data:
        onnx.save_model(m, model_path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=data_name,
                        size_threshold=1024)
    else:
        onnx.save_model(m, model_path)

    if not args.no_test_data:
        write_test_data(args.out, inputs_np, outputs_np)

    if not args.quiet:
        summarize(model_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
