"""LoRA fine-tuning with peft: load the base, tokenize the chats, train, save the adapter.

One code path for both machines: on the embedded default the GGUF is loaded dequantised by
transformers (`from_pretrained(dir, gguf_file=...)`) and trained in float32 on the CPU; on a GPU
worker a Hugging Face directory is loaded in bfloat16 with gradient checkpointing (`auto` picks
both when CUDA is there). A non-finite loss, or one above `divergence_loss_ratio` × the first
step's (at least 1 nat, so a tiny first loss cannot trip it), stops training with
`TrainingDiverged` before the optimiser applies it.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.retraining.retrain_config import BaseModelSpec, TrainingSpec

log = logging.getLogger(__name__)
IGNORE_INDEX = -100


class TrainingDiverged(CulturewatchError):
    """The loss became non-finite or exploded; nothing trained in this run may be registered."""

    def __init__(self, step: int, loss: float) -> None:
        self.step, self.loss = step, loss
        super().__init__(f"training diverged at step {step}: loss {loss}")


@dataclass(frozen=True)
class Example:
    """One tokenized chat: the prompt's labels are IGNORE_INDEX (loss on the answer only)."""

    input_ids: list[int]
    labels: list[int]


@dataclass(frozen=True)
class TrainingResult:
    losses: list[float]
    tokens: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else float("nan")


def resolve_device(spec: TrainingSpec) -> str:
    import torch

    if spec.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return spec.device


def resolve_dtype(spec: TrainingSpec, device: str):  # -> torch.dtype
    import torch

    if spec.dtype == "auto":
        return torch.bfloat16 if device == "cuda" else torch.float32
    return getattr(torch, spec.dtype)


def load_base(base: BaseModelSpec, models_dir: Path, spec: TrainingSpec):
    """(model, tokenizer) of the base on the training device. A GGUF comes back dequantised and no
    longer marked as quantized (peft, saving and training refuse a "quantized" GGUF model)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = resolve_device(spec)
    dtype = resolve_dtype(spec, device)
    if base.gguf_model is not None:
        from culturewatch.serving.model_files import assemble

        path = assemble(base.gguf_model, models_dir)
        tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=dtype)
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.is_quantized = False
    else:
        tokenizer = AutoTokenizer.from_pretrained(base.hf_path)
        model = AutoModelForCausalLM.from_pretrained(base.hf_path, dtype=dtype)
    if not model.config.architectures:
        model.config.architectures = [type(model).__name__]
    return model.to(device), tokenizer


def save_base_hf(model, tokenizer, directory: Path, weights: bool) -> Path:
    """The base as a Hugging Face directory: config (with `architectures`, which the GGUF adapter
    converter reads) and tokenizer, plus the weights when asked. Call before peft wraps it."""
    directory.mkdir(parents=True, exist_ok=True)
    if weights:
        model.save_pretrained(directory)
    else:
        model.config.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def tokenize_chats(records: list[dict[str, object]], tokenizer, max_length: int) -> list[Example]:
    """Chats (prompt turns + one assistant turn) through the model's chat template; the assistant
    turn and its end-of-turn tokens are the labels. Too-long chats are dropped (logged)."""
    examples: list[Example] = []
    for record in records:
        messages = record["messages"]
        prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(messages, tokenize=False)
        if not full.startswith(prompt):
            raise CulturewatchError(f"{record.get('id')}: the chat template does not extend the prompt")
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        full_ids = tokenizer(full, add_special_tokens=False)["input_ids"]
        if len(full_ids) > max_length:
            log.warning("dropping %s: %d tokens > max_length %d", record.get("id"), len(full_ids), max_length)
            continue
        labels = [IGNORE_INDEX] * len(prompt_ids) + full_ids[len(prompt_ids) :]
        examples.append(Example(full_ids, labels))
    return examples


def _batches(examples: list[Example], batch_size: int, seed: int) -> Iterator[list[Example]]:
    """Shuffled epochs, endlessly (steps, not epochs, bound training)."""
    rng = random.Random(seed)
    while True:
        order = list(examples)
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            yield order[start : start + batch_size]


def _collate(batch: list[Example], pad_id: int, device: str):
    import torch

    width = max(len(example.input_ids) for example in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, example in enumerate(batch):
        n = len(example.input_ids)
        ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        mask[row, :n] = 1
    return ids.to(device), mask.to(device), labels.to(device)


def add_lora(model, spec: TrainingSpec):
    """Wrap the base with fresh LoRA adapters on `target_modules` (the base stays frozen)."""
    from peft import LoraConfig, get_peft_model

    gradient_checkpointing = (
        resolve_device(spec) == "cuda"
        if spec.gradient_checkpointing == "auto"
        else spec.gradient_checkpointing
    )
    if gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    config = LoraConfig(
        r=spec.rank,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=list(spec.target_modules),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def train_lora(
    model,
    examples: list[Example],
    spec: TrainingSpec,
    pad_id: int,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainingResult:
    """`spec.steps` optimiser steps of AdamW on the trainable (LoRA) parameters, linear warm-up
    then linear decay; `on_step(step, loss)` after each. Raises TrainingDiverged."""
    import torch

    if not examples:
        raise CulturewatchError("no training examples")
    torch.manual_seed(spec.seed)
    if spec.threads:
        torch.set_num_threads(spec.threads)
    device = resolve_device(spec)
    params = [param for param in model.parameters() if param.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=spec.learning_rate, weight_decay=spec.weight_decay)

    def factor(step: int) -> float:
        if step < spec.warmup_steps:
            return (step + 1) / (spec.warmup_steps + 1)
        return max(0.0, (spec.steps - step) / max(1, spec.steps - spec.warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, factor)
    batches = _batches(examples, spec.batch_size, spec.seed)
    model.train()
    losses: list[float] = []
    tokens = 0
    started = time.perf_counter()
    for step in range(spec.steps):
        step_loss = 0.0
        for _ in range(spec.gradient_accumulation):
            ids, mask, labels = _collate(next(batches), pad_id, device)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss / spec.gradient_accumulation
            loss.backward()
            step_loss += loss.item()
            tokens += int(mask.sum())
        ceiling = spec.divergence_loss_ratio * max(losses[0], 1.0) if losses else math.inf
        if not math.isfinite(step_loss) or step_loss > ceiling:
            optimiser.zero_grad(set_to_none=True)
            raise TrainingDiverged(step, step_loss)
        torch.nn.utils.clip_grad_norm_(params, spec.max_grad_norm)
        optimiser.step()
        scheduler.step()
        optimiser.zero_grad(set_to_none=True)
        losses.append(step_loss)
        if on_step is not None:
            on_step(step, step_loss)
        log.info("step %d/%d loss %.4f", step + 1, spec.steps, step_loss)
    return TrainingResult(losses, tokens, time.perf_counter() - started)


def loss_reduction(losses: list[float], window: int = 10) -> float:
    """mean(last `window`) / mean(first `window`): the issue's criterion is ≤ 0.8."""
    if len(losses) < window:
        window = max(1, len(losses) // 2)
    first = sum(losses[:window]) / window
    last = sum(losses[-window:]) / window
    return last / first if first > 0 else float("nan")
