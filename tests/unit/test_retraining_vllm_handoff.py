"""Handing a registered candidate to the fleet's vLLM (`--enable-lora`): the registry version's
peft directory lands in the shared adapter volume and is loaded under the LoRA module name the
fleet probes it as. A real MLflow sqlite registry; vLLM's two admin routes are played by a local
HTTP receiver that records what culturewatch sends (no vLLM runs on this machine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from culturewatch.errors import CulturewatchError
from culturewatch.retraining import evaluation, pipeline
from culturewatch.retraining.work import RetrainWork
from tests.alert_receivers import WebhookReceiver

MODEL = "culturespa-qwen"  # the LoRA module name = the fleet's model name = probe_as
REGISTERED = "culturespa-qwen2.5-7b-instruct"


def start_retraining(paths, tmp_path: Path, base_url: str) -> tuple[str, Path]:
    adapters = tmp_path / "adapters"
    config = tmp_path / "retrain.yaml"
    config.write_text(
        f"base_model: {{name: qwen2.5-7b-instruct, version: digest-0123456789ab, hf_path: {tmp_path}}}\n"
        f"endpoint: {{base_url: '{base_url}', api_key_env: TEST_VLLM_KEY}}\n"
        f"evaluation: {{probe_as: {MODEL}, vllm_adapters_dir: {adapters}}}\n"
    )
    retrain_id = pipeline.start(config, paths)
    work = RetrainWork.open(paths, retrain_id)
    import mlflow

    logged = tmp_path / "logged" / "artifacts" / "adapter"
    logged.mkdir(parents=True)
    (logged / "adapter_config.json").write_text('{"r": 16, "peft_type": "LORA"}')
    (logged / "adapter_model.safetensors").write_bytes(b"weights")
    client = mlflow.MlflowClient()
    client.create_registered_model(REGISTERED)
    version = client.create_model_version(
        REGISTERED, source=str(tmp_path / "logged"), run_id=str(work.state()["mlflow_run_id"])
    )
    client.set_registered_model_alias(REGISTERED, "candidate", version.version)
    work.update(registered={"name": REGISTERED, "version": str(version.version), "probe_as": MODEL})
    return retrain_id, adapters


@pytest.fixture
def vllm(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    """vLLM's admin routes, played by a receiver; the fleet's API key is in TEST_VLLM_KEY."""
    monkeypatch.setenv("TEST_VLLM_KEY", "s3cret")
    with WebhookReceiver() as receiver:
        yield receiver


def test_the_candidate_is_copied_to_the_adapter_volume_and_loaded_under_its_module_name(
    paths, tmp_path: Path, vllm: WebhookReceiver
) -> None:
    retrain_id, adapters = start_retraining(paths, tmp_path, vllm.url("/v1"))
    summary = evaluation.probe_candidate(paths, retrain_id)
    target = adapters / REGISTERED / "v1"
    assert (target / "adapter_config.json").read_text() == '{"r": 16, "peft_type": "LORA"}'
    assert (target / "adapter_model.safetensors").read_bytes() == b"weights"
    assert [post.path for post in vllm.posts] == ["/v1/unload_lora_adapter", "/v1/load_lora_adapter"]
    assert vllm.posts[0].json() == {"lora_name": MODEL}
    assert vllm.posts[1].json() == {"lora_name": MODEL, "lora_path": str(target)}
    assert all(post.headers["Authorization"] == "Bearer s3cret" for post in vllm.posts)
    assert summary["served_by"] == "fleet" and summary["identity"] == f"mlflow:{REGISTERED}/v1"
    assert summary["vllm"] == {"lora_name": MODEL, "lora_path": str(target), "unloaded_previous": "True"}


def test_a_refused_load_is_an_error_naming_the_url_and_the_reply(
    paths, tmp_path: Path, vllm: WebhookReceiver
) -> None:
    retrain_id, _ = start_retraining(paths, tmp_path, vllm.url("/v1"))
    vllm.fail_next["/v1/load_lora_adapter"] = 1
    with pytest.raises(CulturewatchError, match=r"/v1/load_lora_adapter refused culturespa-qwen=.*HTTP 500"):
        evaluation.probe_candidate(paths, retrain_id)
    assert "candidate_probe" not in RetrainWork.open(paths, retrain_id).state()


def test_an_adapter_volume_without_the_vllm_endpoint_is_a_config_error(tmp_path: Path) -> None:
    from culturewatch.errors import InputFileError
    from culturewatch.retraining.retrain_config import load_retrain_config

    config = tmp_path / "retrain.yaml"
    config.write_text(
        "base_model: {name: qwen2.5-coder-0.5b-instruct, version: v,\n"
        "             gguf_model: qwen2.5-coder-0.5b-instruct}\n"
        f"evaluation: {{vllm_adapters_dir: {tmp_path / 'adapters'}}}\n"
    )
    with pytest.raises(InputFileError, match=r"vllm_adapters_dir .*set endpoint.base_url"):
        load_retrain_config(config)
