#!/usr/bin/python3
"""PyTorch eager training loop of a GPT-2 for PretrainedThroughputBenchmark.

The model is gpt2_reference.py's forward (transformers' GPT2LMHeadModel in eval mode: no dropout,
LM head tied to wte), with weights normal(0, 0.02), norms 1 and biases 0. Each step: forward on
token ids [batch, seq], the mean next-token cross-entropy over the completion's positions (the last
seq - prompt targets, as the Java Encoder masks a prompt of that length), backward, and an
Adafactor step with the defaults of docs/adafactor.md (factored second moments, relative step size,
parameter scaling, update clipping at 1, decay rate 0.8, no momentum, no weight decay).

  gpt2_train_eager.py --layers L --width D --heads H --vocab V --positions P --batch B --seq T
                      --prompt K --steps N --threads C [--seed S]

prints one line: tokens_per_s=... forward_s=... backward_s=... optimizer_s=... steps=... (the times
summed over steps 2..N, tokens_per_s over the same steps, B * T tokens a step), torch=... (its version)
and blas=... (the BLAS library this process loaded, from /proc/self/maps: Debian's torch takes
libblas.so.3, whichever the system or LD_LIBRARY_PATH provides).
"""
import argparse
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import forward  # noqa: E402


class Adafactor:
    """docs/adafactor.md's algorithm with the paper's defaults; R and C kept as means (same V)."""

    def __init__(self, params, eps1=1e-30, eps2=1e-3, clip_threshold=1.0, decay_rate=0.8):
        self.params = params
        self.eps1 = eps1
        self.eps2 = eps2
        self.clip_threshold = clip_threshold
        self.decay_rate = decay_rate
        self.state = {}

    @torch.no_grad()
    def step(self):
        for p in self.params:
            g = p.grad
            state = self.state.setdefault(p, {"t": 0})
            state["t"] += 1
            t = state["t"]
            rho = min(1e-2, 1.0 / math.sqrt(t))
            alpha = max(self.eps2, p.pow(2).mean().sqrt().item()) * rho
            beta2 = 1.0 - t ** (-self.decay_rate)
            g2 = g * g + self.eps1
            if p.dim() >= 2:
                row = g2.mean(dim=-1)
                col = g2.mean(dim=-2)
                if t == 1:
                    state["row"], state["col"] = row, col
                else:
                    state["row"].mul_(beta2).add_(row, alpha=1.0 - beta2)
                    state["col"].mul_(beta2).add_(col, alpha=1.0 - beta2)
                r, c = state["row"], state["col"]
                # V = R C^T / mean(R): U = G * rsqrt(R / mean(R)) rsqrt(C)
                r_factor = (r / r.mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
                c_factor = c.rsqrt().unsqueeze(-2)
                update = g * r_factor * c_factor
            else:
                if t == 1:
                    state["v"] = g2
                else:
                    state["v"].mul_(beta2).add_(g2, alpha=1.0 - beta2)
                update = g * state["v"].rsqrt()
            rms = update.pow(2).mean().sqrt().item()
            update.div_(max(1.0, rms / self.clip_threshold))
            p.add_(update, alpha=-alpha)
            p.grad = None


def blas_library():
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if "blas" in os.path.basename(path) or "mkl" in os.path.basename(path):
                    return os.path.realpath(path)
    except OSError:
        pass
    return "unknown"


def parameters(config, generator):
    d, vocab = config["n_embd"], config["vocab_size"]
    shapes = {"transformer.wte.weight": (vocab, d), "transformer.wpe.weight": (config["n_positions"], d)}
    for i in range(config["n_layer"]):
        h = "transformer.h.%d." % i
        shapes.update({
            h + "ln_1.weight": (d,), h + "ln_1.bias": (d,),
            h + "attn.c_attn.weight": (d, 3 * d), h + "attn.c_attn.bias": (3 * d,),
            h + "attn.c_proj.weight": (d, d), h + "attn.c_proj.bias": (d,),
            h + "ln_2.weight": (d,), h + "ln_2.bias": (d,),
            h + "mlp.c_fc.weight": (d, 4 * d), h + "mlp.c_fc.bias": (4 * d,),
            h + "mlp.c_proj.weight": (4 * d, d), h + "mlp.c_proj.bias": (d,),
        })
    shapes.update({"transformer.ln_f.weight": (d,), "transformer.ln_f.bias": (d,)})
    params = {}
    for name, shape in shapes.items():
        if name.endswith(".bias"):
            value = torch.zeros(shape)
        elif ".ln_" in name:
            value = torch.ones(shape)
        else:
            value = 0.02 * torch.randn(shape, generator=generator)
        params[name] = value.float().requires_grad_(True)
    return params


def main():
    parser = argparse.ArgumentParser()
    for name in ["layers", "width", "heads", "vocab", "positions", "batch", "seq", "prompt", "steps", "threads"]:
        parser.add_argument("--" + name, type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = {"vocab_size": args.vocab, "n_positions": args.positions, "n_embd": args.width,
              "n_layer": args.layers, "n_head": args.heads, "layer_norm_epsilon": 1e-5}
    generator = torch.Generator().manual_seed(args.seed)
    params = parameters(config, generator)
    optimizer = Adafactor(list(params.values()))
    # the learned part: target i counts when i + 1 >= prompt, as the Java Encoder masks
    mask = (torch.arange(args.seq) + 1 >= args.prompt).float().expand(args.batch, args.seq).reshape(-1)
    forward_s = backward_s = optimizer_s = 0.0
    tokens = 0
    for step in range(args.steps):
        sequence = torch.randint(3, 256, (args.batch, args.seq + 1), generator=generator)
        ids, targets = sequence[:, :-1], sequence[:, 1:]
        t0 = time.perf_counter()
        logits = forward(config, params, ids)
        losses = torch.nn.functional.cross_entropy(
            logits.reshape(-1, args.vocab), targets.reshape(-1), reduction="none")
        loss = (losses * mask).sum() / mask.sum()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        t3 = time.perf_counter()
        if not math.isfinite(loss.item()):
            raise SystemExit("loss is not finite at step %d" % (step + 1))
        if step > 0:
            forward_s += t1 - t0
            backward_s += t2 - t1
            optimizer_s += t3 - t2
            tokens += args.batch * args.seq
    total = forward_s + backward_s + optimizer_s
    print("tokens_per_s=%.3f forward_s=%.4f backward_s=%.4f optimizer_s=%.4f steps=%d loss=%.4f torch=%s threads=%d"
          " blas=%s" % (tokens / total, forward_s, backward_s, optimizer_s, args.steps - 1, loss.item(),
                        torch.__version__, torch.get_num_threads(), blas_library()))


if __name__ == "__main__":
    main()
