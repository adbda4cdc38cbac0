"""LoRA training on a tiny randomly initialised model (real gradient steps, no weights needed):
the loss falls on a small repeated set; a NaN loss stops training, fails the MLflow run and
registers nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from culturewatch.retraining import pipeline
from culturewatch.retraining.lora import Example, TrainingDiverged, add_lora, loss_reduction, train_lora
from culturewatch.retraining.retrain_config import TrainingSpec
from culturewatch.retraining.work import RetrainWork

torch = pytest.importorskip("torch")


def _tiny_model():
    from transformers import AutoModelForCausalLM, Qwen2Config

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        initializer_range=0.2,  # wide enough that a rank-4 adapter can move the logits
    )
    model = AutoModelForCausalLM.from_config(config)
    model.config.architectures = ["Qwen2ForCausalLM"]
    return model


class _CharTokenizer:
    """A character tokenizer with a chat template, enough for tokenize_chats on the tiny model."""

    pad_token_id = 0
    eos_token_id = 1

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False):
        text = "".join(f"<{m['role']}>{m['content']}|" for m in messages)
        return text + ("<assistant>" if add_generation_prompt else "")

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [2 + ord(char) % 62 for char in text]}

    def save_pretrained(self, directory):
        Path(directory, "tokenizer_config.json").write_text("{}")


def test_loss_falls_with_real_steps_on_a_small_repeated_set() -> None:
    spec = TrainingSpec(
        rank=4,
        alpha=8,
        learning_rate=2e-2,
        steps=30,
        batch_size=2,
        target_modules=["q_proj", "v_proj", "o_proj", "down_proj"],
    )
    model = add_lora(_tiny_model(), spec)
    examples = [Example(list(range(2, 14)), [-100] * 8 + list(range(10, 14))) for _ in range(2)]
    examples += [Example(list(range(20, 32)), [-100] * 8 + list(range(28, 32))) for _ in range(2)]
    frozen = [name for name, param in model.named_parameters() if not param.requires_grad]
    assert frozen and all("lora_" not in name for name in frozen)
    result = train_lora(model, examples, spec, pad_id=0)
    assert len(result.losses) == 30 and result.tokens == 30 * 2 * 12
    assert loss_reduction(result.losses) <= 0.8


def test_the_loss_reduction_compares_ends_that_do_not_overlap() -> None:
    # 20 steps or more: the first and last 10; a shorter run: its first and second half (10
    # steps with windows of 10 compared every step with itself and always gave 1.0)
    def reduction(losses: list[float]) -> float:
        return loss_reduction(losses, pipeline.summary_window(len(losses)))

    assert reduction([2.0] * 10 + [1.0] * 10) == pytest.approx(0.5)
    assert reduction([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]) == pytest.approx(0.3 / 0.8)
    assert reduction([4.0, 9.0, 2.0]) == pytest.approx(0.5)


def test_nan_loss_raises_before_the_update() -> None:
    model = _tiny_model()
    with torch.no_grad():
        model.model.norm.weight.fill_(float("nan"))
    spec = TrainingSpec(rank=2, alpha=4, steps=5, batch_size=1, target_modules=["q_proj"])
    model = add_lora(model, spec)
    with pytest.raises(TrainingDiverged, match="step 0"):
        train_lora(model, [Example([2, 3, 4, 5], [-100, -100, 4, 5])], spec, pad_id=0)


def test_diverging_run_is_failed_in_mlflow_and_registers_nothing(paths, tmp_path, monkeypatch) -> None:
    import mlflow

    def nan_base(base, models_dir, spec):
        model = _tiny_model()
        with torch.no_grad():
            model.model.norm.weight.fill_(float("nan"))
        return model, _CharTokenizer()

    monkeypatch.setattr("culturewatch.retraining.lora.load_base", nan_base)
    config = tmp_path / "retrain.yaml"
    config.write_text(
        "base_model: {name: tiny, version: v0, gguf_model: qwen2.5-coder-0.5b-instruct}\n"
        "answers: {countries: [US]}\n"
        "training: {rank: 2, alpha: 4, steps: 3, batch_size: 1, target_modules: [q_proj]}\n"
    )
    retrain_id = pipeline.start(config, paths)
    work = RetrainWork.open(paths, retrain_id)
    record = {
        "id": "US:G01-0001",
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "2"},
        ],
    }
    (work.root / "sft.jsonl").write_text(json.dumps(record) + "\n")

    with pytest.raises(TrainingDiverged):
        pipeline.train(paths, retrain_id)
    run = mlflow.get_run(str(work.state()["mlflow_run_id"]))
    assert run.info.status == "FAILED"
    assert "diverged" in run.data.tags["culturewatch.failure"]
    assert not (work.root / "adapter").exists() and not (work.root / "adapter.gguf").exists()
    with pytest.raises(Exception, match="no trained adapter"):
        pipeline.register(paths, retrain_id)
    assert mlflow.MlflowClient().search_registered_models() == []
    assert str(paths.root / "mlflow") in run.info.artifact_uri  # explicit location, not ./mlruns
