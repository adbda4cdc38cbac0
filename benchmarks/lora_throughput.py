"""LoRA training throughput (tokens/s) of culturewatch's own training code on a randomly
initialised model of a given shape: no weights are needed, so a 7-8B shape can be measured on a
GPU worker before any checkpoint is there. Same `add_lora` / `train_lora` as a retraining (bf16,
gradient checkpointing and CUDA picked by `auto` when a GPU is present).

    python benchmarks/lora_throughput.py --shape smollm2-135m qwen2.5-0.5b --steps 6
    python benchmarks/lora_throughput.py --shape qwen2.5-7b --device cuda --batch-size 8 --seq-len 512

Prints one line per shape: parameters, device, dtype, tokens/s over the timed steps (the first
`--warmup` steps are not timed).
"""

from __future__ import annotations

import argparse
import random
import time

SHAPES: dict[str, dict[str, object]] = {
    # Hugging Face configs of the released models (architecture, sizes), weights random.
    "smollm2-135m": dict(
        model_type="llama", vocab_size=49152, hidden_size=576, intermediate_size=1536,
        num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3, tie_word_embeddings=True,
    ),
    "qwen2.5-0.5b": dict(
        model_type="qwen2", vocab_size=151936, hidden_size=896, intermediate_size=4864,
        num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2, tie_word_embeddings=True,
    ),
    "qwen2.5-1.5b": dict(
        model_type="qwen2", vocab_size=151936, hidden_size=1536, intermediate_size=8960,
        num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2, tie_word_embeddings=True,
    ),
    "qwen2.5-7b": dict(  # 7.6B parameters
        model_type="qwen2", vocab_size=152064, hidden_size=3584, intermediate_size=18944,
        num_hidden_layers=28, num_attention_heads=28, num_key_value_heads=4, tie_word_embeddings=False,
    ),
    "llama-3-8b": dict(
        model_type="llama", vocab_size=128256, hidden_size=4096, intermediate_size=14336,
        num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, tie_word_embeddings=False,
    ),
}  # fmt: skip


def random_model(shape: str, dtype, device: str):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    fields = dict(SHAPES[shape])
    config = AutoConfig.for_model(str(fields.pop("model_type")), **fields)
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    return model


def measure(shape: str, args: argparse.Namespace) -> dict[str, object]:
    from culturewatch.retraining.lora import Example, add_lora, resolve_device, resolve_dtype, train_lora
    from culturewatch.retraining.retrain_config import TrainingSpec

    spec = TrainingSpec(
        rank=args.rank,
        alpha=2 * args.rank,
        steps=args.warmup + args.steps,
        batch_size=args.batch_size,
        learning_rate=1e-4,
        device=args.device,
        dtype=args.dtype,
        threads=args.threads,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
    )
    device = resolve_device(spec)
    model = random_model(shape, resolve_dtype(spec, device), device)
    n_params = sum(p.numel() for p in model.parameters())
    model = add_lora(model, spec)
    rng = random.Random(0)
    vocab = int(SHAPES[shape]["vocab_size"])
    examples = [
        Example(ids, [-100] * (args.seq_len // 2) + ids[args.seq_len // 2 :])
        for ids in ([rng.randrange(vocab) for _ in range(args.seq_len)] for _ in range(4 * args.batch_size))
    ]
    stamps: list[float] = []
    tokens_per_step = args.batch_size * args.seq_len
    started = time.perf_counter()
    train_lora(model, examples, spec, pad_id=0, on_step=lambda step, loss: stamps.append(time.perf_counter()))
    timed = stamps[args.warmup - 1 :] if args.warmup else [started, *stamps]
    seconds = timed[-1] - timed[0]
    rate = tokens_per_step * (len(timed) - 1) / seconds
    return {
        "shape": shape,
        "params_b": round(n_params / 1e9, 3),
        "device": device,
        "dtype": str(resolve_dtype(spec, device)).removeprefix("torch."),
        "rank": args.rank,
        "batch x seq": f"{args.batch_size}x{args.seq_len}",
        "timed_steps": len(timed) - 1,
        "seconds": round(seconds, 1),
        "tokens_per_s": round(rate, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shape", nargs="+", default=["smollm2-135m", "qwen2.5-0.5b"], choices=sorted(SHAPES)
    )
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first steps")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    for shape in args.shape:
        print(measure(shape, args), flush=True)


if __name__ == "__main__":
    main()
