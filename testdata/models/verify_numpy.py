#!/usr/bin/env python3
"""Run a gen_bert.py model with a tiny NumPy ONNX interpreter and compare with
its test_data_set_0 (used because onnxruntime is not available here).

Supports exactly the op set the TorchScript exporter emits for these BERTs
(opset 14 and 17).  Usage: python3 verify_numpy.py DIR [DIR...]
"""

import math
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

_erf = np.vectorize(math.erf, otypes=[np.float64])


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run(model, feeds):
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    for n in model.graph.node:
        a = attrs(n)
        x = [env[i] if i else None for i in n.input]
        op = n.op_type
        if op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "Sub":
            y = x[0] - x[1]
        elif op == "Mul":
            y = x[0] * x[1]
        elif op == "Div":
            y = x[0] / x[1] if x[0].dtype.kind == "f" else x[0] // x[1]
        elif op == "Pow":
            y = np.power(x[0], x[1]).astype(x[0].dtype)
        elif op == "Sqrt":
            y = np.sqrt(x[0])
        elif op == "Tanh":
            y = np.tanh(x[0])
        elif op == "Erf":
            y = _erf(x[0]).astype(x[0].dtype)
        elif op == "Cast":
            y = x[0].astype(onnx.helper.tensor_dtype_to_np_dtype(a["to"])
                            if hasattr(onnx.helper, "tensor_dtype_to_np_dtype")
                            else onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        elif op == "Shape":
            y = np.array(x[0].shape, dtype=np.int64)
        elif op == "Gather":
            y = np.take(x[0], x[1], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            y = x[0]
            r = x[0].ndim + len(x[1])
            for ax in sorted(int(v) % r for v in x[1]):
                y = np.expand_dims(y, ax)
        elif op == "Concat":
            y = np.concatenate(x, axis=a["axis"])
        elif op == "Reshape":
            shape = [x[0].shape[i] if d == 0 else int(d) for i, d in enumerate(x[1])]
            y = x[0].reshape(shape)
        elif op == "Transpose":
            y = np.transpose(x[0], a.get("perm"))
        elif op == "Slice":
            data, starts, ends = x[0], x[1], x[2]
            axes = x[3] if len(x) > 3 and x[3] is not None else range(len(starts))
            steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
            sl = [slice(None)] * data.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(s), int(e), int(st))
            y = data[tuple(sl)]
        elif op == "MatMul":
            y = np.matmul(x[0], x[1])
        elif op == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(x[0] - x[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "ReduceMean":
            y = x[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif op == "LayerNormalization":
            ax = a.get("axis", -1)
            axes = tuple(range(ax % x[0].ndim, x[0].ndim))
            mu = x[0].mean(axis=axes, keepdims=True)
            var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            y = (x[0] - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * x[1]
            if len(x) > 2 and x[2] is not None:
                y = y + x[2]
        else:
            raise NotImplementedError(op)
        y = np.asarray(y)
        if x and x[0] is not None and x[0].dtype == np.float32 and y.dtype == np.float64:
            y = y.astype(np.float32)
        env[n.output[0]] = y
    return [env[o.name] for o in model.graph.output]


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def verify(d, atol=1e-4, rtol=1e-3):
    model = onnx.load(os.path.join(d, "model.onnx"))
    td = os.path.join(d, "test_data_set_0")
    feeds = {}
    i = 0
    while os.path.exists(os.path.join(td, "input_%d.pb" % i)):
        name, arr = load_pb(os.path.join(td, "input_%d.pb" % i))
        feeds[name] = arr
        i += 1
    outs = run(model, feeds)
    ok = True
    for j, (o, got) in enumerate(zip(model.graph.output, outs)):
        name, want = load_pb(os.path.join(td, "output_%d.pb" % j))
        assert name == o.name, (name, o.name)
        err = float(np.max(np.abs(got.astype(np.float64) - want)))
        good = got.shape == want.shape and np.allclose(got, want, atol=atol, rtol=rtol)
        ok &= good
        print("%s %s: shape=%s max_abs_err=%.3g %s" % (d, name, want.shape, err,
                                                     "OK" if good else "MISMATCH"))
    return ok


if __name__ == "__main__":
    results = [verify(d) for d in sys.argv[1:]]
    sys.exit(0 if all(results) else 1)
