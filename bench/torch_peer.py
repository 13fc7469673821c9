"""PyTorch peer of bench/train-step.ts: the same TF.js Layers model, rebuilt in PyTorch with the same weights.

Run by the bench as a long-lived child (`/usr/bin/python3 bench/torch_peer.py MODEL_JSON BATCH_FILE THREADS`);
it first prints {"ready": true, "threads": n, "probs": [...]} (inference-mode outputs on the shared batch, which
the bench compares with ours to check the weights), then answers one JSON line per command line on stdin, so the bench can interleave its steps with ours:
  {"cmd": "step"}     -> {"ms": t, "cpuMs": c}  one training step (forward, cross-entropy, backward, SGD-Nesterov)
  {"cmd": "profile"}  -> {"kernels": [...]}     torch.profiler's operators of one step
  {"cmd": "sgemm"}    -> {"gflops": g}          single-thread sgemm peak (best of several large matmuls)
The model is interpreted from model.json's topology (the layer kinds the examples use), in NCHW as a PyTorch user
would write it; Flatten goes through NHWC so the dense weights keep their TF.js meaning.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_weights(model_json, manifest):
    """name -> float32 array, from the shards listed in the weights manifest (in order)."""
    folder = os.path.dirname(model_json)
    out = {}
    for group in manifest:
        blob = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            if w["dtype"] != "float32" or "quantization" in w:
                raise ValueError(f"weight {w['name']}: only unquantised float32 is supported")
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            out[w["name"]] = np.frombuffer(blob, dtype="<f4", count=n, offset=offset).reshape(w["shape"]).copy()
            offset += 4 * n
    return out


def same_pads(size, k, s, d):
    """TF 'same' padding (before, after) along one axis."""
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max(0, (out - 1) * s + eff - size)
    return total // 2, total - total // 2


class LayersNet(nn.Module):
    """A DAG of the Keras layers found in the examples, evaluated in topological (file) order."""

    def __init__(self, topology, weights):
        super().__init__()
        cfg = topology.get("model_config", topology)["config"]
        self.layers_cfg = cfg["layers"]
        self.inputs = [n[0] for n in cfg["input_layers"]]
        self.outputs = [n[0] for n in cfg["output_layers"]]
        self.mods = nn.ModuleDict()
        self.meta = {}
        for layer in self.layers_cfg:
            self._build(layer, weights)

    def _param(self, arr):
        return nn.Parameter(torch.from_numpy(arr))

    def _build(self, layer, weights):
        kind, c, name = layer["class_name"], layer["config"], layer["name"]
        w = lambda key: weights[f"{name}/{key}"]  # noqa: E731
        if kind == "Conv2D":
            k = w("kernel")  # [kh, kw, cin, cout]
            conv = nn.Conv2d(k.shape[2], k.shape[3], tuple(c["kernel_size"]), stride=tuple(c["strides"]),
                             dilation=tuple(c["dilation_rate"]), bias=c["use_bias"])
            conv.weight = self._param(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))
            if c["use_bias"]:
                conv.bias = self._param(w("bias"))
            self.mods[name] = conv
        elif kind == "DepthwiseConv2D":
            k = w("depthwise_kernel")  # [kh, kw, c, m]; TF's output channel c·m + j is torch's group c, index j
            c_in, mult = k.shape[2], k.shape[3]
            conv = nn.Conv2d(c_in, c_in * mult, tuple(c["kernel_size"]), stride=tuple(c["strides"]),
                             dilation=tuple(c["dilation_rate"]), groups=c_in, bias=c["use_bias"])
            conv.weight = self._param(np.ascontiguousarray(k.transpose(2, 3, 0, 1).reshape(c_in * mult, 1, k.shape[0], k.shape[1])))
            if c["use_bias"]:
                conv.bias = self._param(w("bias"))
            self.mods[name] = conv
        elif kind == "BatchNormalization":
            bn = nn.BatchNorm2d(w("gamma").shape[0], eps=c["epsilon"], momentum=1 - c["momentum"])
            bn.weight = self._param(w("gamma"))
            bn.bias = self._param(w("beta"))
            bn.running_mean.copy_(torch.from_numpy(w("moving_mean")))
            bn.running_var.copy_(torch.from_numpy(w("moving_variance")))
            self.mods[name] = bn
        elif kind == "Dense":
            k = w("kernel")
            lin = nn.Linear(k.shape[0], k.shape[1], bias=c["use_bias"])
            lin.weight = self._param(np.ascontiguousarray(k.T))
            if c["use_bias"]:
                lin.bias = self._param(w("bias"))
            self.mods[name] = lin
        elif kind == "Dropout":
            self.mods[name] = nn.Dropout(c["rate"])
        elif kind not in ("InputLayer", "ReLU", "Add", "GlobalAveragePooling2D", "MaxPooling2D", "Flatten", "Activation",
                          "ZeroPadding2D"):
            raise ValueError(f"layer {name}: {kind} is not supported by the PyTorch peer")
        self.meta[name] = (kind, c)

    def forward(self, x):
        vals = {self.inputs[0]: x}
        for layer in self.layers_cfg:
            name = layer["name"]
            kind, c = self.meta[name]
            if kind == "InputLayer":
                continue
            args = [vals[n[0]] for n in layer["inbound_nodes"][0]]
            h = args[0]
            if kind in ("Conv2D", "DepthwiseConv2D"):
                conv = self.mods[name]
                if c["padding"] == "same":
                    (kh, kw), (sh, sw), (dh, dw) = conv.kernel_size, conv.stride, conv.dilation
                    top, bottom = same_pads(h.shape[2], kh, sh, dh)
                    left, right = same_pads(h.shape[3], kw, sw, dw)
                    if top == bottom and left == right:
                        out = F.conv2d(h, conv.weight, conv.bias, conv.stride, (top, left), conv.dilation, conv.groups)
                    else:
                        out = conv(F.pad(h, (left, right, top, bottom)))
                else:
                    out = conv(h)
                act = c.get("activation", "linear")
                if act == "relu":
                    out = F.relu(out)
                elif act == "relu6":
                    out = F.relu6(out)
                elif act != "linear":
                    raise ValueError(f"{name}: conv activation {act} is not supported")
            elif kind == "BatchNormalization" or kind == "Dropout":
                out = self.mods[name](h)
            elif kind == "Dense":
                out = self.mods[name](h)
                act = c.get("activation", "linear")
                # softmax is left to the loss (log_softmax + nll), as a PyTorch user would write it.
                if act == "relu":
                    out = F.relu(out)
                elif act not in ("linear", "softmax"):
                    raise ValueError(f"{name}: activation {act} is not supported")
            elif kind == "ReLU":
                if c.get("max_value") is not None:
                    out = torch.clamp(h, 0, c["max_value"])
                else:
                    out = F.relu(h)
            elif kind == "Activation":
                if c["activation"] != "relu":
                    raise ValueError(f"{name}: activation {c['activation']} is not supported")
                out = F.relu(h)
            elif kind == "Add":
                out = args[0]
                for a in args[1:]:
                    out = out + a
            elif kind == "GlobalAveragePooling2D":
                out = h.mean(dim=(2, 3))
            elif kind == "MaxPooling2D":
                if c["padding"] != "valid":
                    raise ValueError(f"{name}: only 'valid' max pooling is supported")
                out = F.max_pool2d(h, tuple(c["pool_size"]), tuple(c["strides"] or c["pool_size"]))
            elif kind == "ZeroPadding2D":
                (top, bottom), (left, right) = c["padding"]
                out = F.pad(h, (left, right, top, bottom))
            elif kind == "Flatten":
                out = h.permute(0, 2, 3, 1).flatten(1)  # NHWC order, the order the dense kernel was trained on
            vals[name] = out
        return vals[self.outputs[0]]


def sgemm_peak():
    torch.set_num_threads(1)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    best = float("inf")
    for _ in range(8):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * 1024 ** 3 / best / 1e9


def main():
    model_json, batch_file, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    spec = json.load(open(model_json))
    net = LayersNet(spec["modelTopology"], read_weights(model_json, spec["weightsManifest"]))
    meta = json.load(open(batch_file + ".json"))
    raw = np.fromfile(batch_file, dtype="<f4").reshape(meta["shape"])
    x = torch.from_numpy(np.ascontiguousarray(raw.transpose(0, 3, 1, 2)))
    y = torch.from_numpy(np.array(meta["labels"], dtype=np.int64))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.nll_loss(F.log_softmax(net(x), dim=1), y)
        loss.backward()
        opt.step()

    net.eval()
    with torch.no_grad():
        probs = F.softmax(net(x), dim=1).flatten().tolist()
    net.train()
    step()  # warm-up: allocator, oneDNN primitives
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__, "probs": probs}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)["cmd"]
        if cmd == "step":
            c0, t0 = time.process_time(), time.perf_counter()
            step()
            reply = {"ms": 1000 * (time.perf_counter() - t0), "cpuMs": 1000 * (time.process_time() - c0)}
        elif cmd == "profile":
            from torch.profiler import ProfilerActivity, profile
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                step()
            rows = [{"name": e.key, "ms": e.self_cpu_time_total / 1000, "calls": e.count}
                    for e in prof.key_averages() if e.self_cpu_time_total > 0]
            reply = {"kernels": sorted(rows, key=lambda r: -r["ms"])}
        elif cmd == "sgemm":
            reply = {"gflops": sgemm_peak()}
            torch.set_num_threads(threads)
        else:
            reply = {"error": f"unknown command {cmd}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
