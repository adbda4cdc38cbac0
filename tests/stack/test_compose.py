"""docker-compose.yaml checked without Docker: variables, health checks, pins, volumes, queues, ports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from culturewatch.config.loader import load_config
from culturewatch.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yaml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
BUNDLED_CONFIGS = sorted((PROJECT_ROOT / "include" / "culturewatch" / "config").glob("*.yaml"))
# ${VAR}, ${VAR:-default}, ${VAR:?message}; `$${VAR}` is an escaped literal for the container's shell.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?-][^}]*)?\}")
AIRFLOW_COMPONENTS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def queues_of(service: dict) -> set[str]:
    match = re.search(r"--queues\s+(\S+)", command_text(service))
    return set(match.group(1).split(",")) if match else set()


def workers(services: dict[str, dict]) -> dict[str, dict]:
    return {name: svc for name, svc in services.items() if "celery worker" in command_text(svc)}


def strings(node: object) -> list[str]:
    """Every string in the parsed YAML (what compose interpolates; comments are not)."""
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in (*strings(key), *strings(value))]
    if isinstance(node, list):
        return [text for item in node for text in strings(item)]
    return [node] if isinstance(node, str) else []


def variables(compose: dict) -> set[str]:
    return {name for text in strings(compose) for name in VARIABLE.findall(text)}


def test_every_variable_is_documented_in_env_example(compose: dict) -> None:
    used = variables(compose)
    documented = env_example()
    assert used, "the compose file references no variables: the regex is broken"
    assert sorted(used - documented.keys()) == []
    # and nothing documented is stale (COMPOSE_PROFILES is read by compose itself)
    assert sorted(documented.keys() - used - {"COMPOSE_PROFILES"}) == []


def test_secrets_are_required_and_not_shipped(compose: dict) -> None:
    """Every password/key has no value in .env.example and makes compose refuse to start if unset."""
    text = "\n".join(strings(compose))
    secrets = [name for name in env_example() if re.search(r"PASSWORD|SECRET|FERNET|_API_KEY$", name)]
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_ADMIN_PASSWORD", "VLLM_API_KEY"} <= set(secrets)
    for name in secrets:
        assert env_example()[name] == "", f"{name} has a value in .env.example"
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    optional = {"OPENAI_API_KEY"}  # hosted APIs are optional
    assert sorted(set(secrets) - required - optional) == []


def test_every_service_has_a_healthcheck_and_a_restart_policy(services: dict[str, dict]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test"), f"{name}: no health check"
        assert not check.get("disable"), f"{name}: health check disabled"
        assert service.get("restart") in {"unless-stopped", "always", "no"}, f"{name}: no restart policy"
    one_shot = {name for name, service in services.items() if service["restart"] == "no"}
    assert one_shot == {"airflow-init"}
    dependents = [
        name
        for name, service in services.items()
        if service.get("depends_on", {}).get("airflow-init", {}).get("condition")
        == "service_completed_successfully"
    ]
    assert set(AIRFLOW_COMPONENTS) <= set(dependents)


def test_images_are_pinned_by_version(services: dict[str, dict]) -> None:
    for name, service in services.items():
        image = service.get("image", "")
        assert image, f"{name}: no image"
        repository, _, tag = image.rpartition(":")
        assert repository and tag, f"{name}: image {image} has no tag"
        if tag.startswith("${"):
            assert image.startswith("culturewatch-airflow:"), f"{name}: only the project image is variable"
            continue
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: image {image} is not pinned by version"
    base = re.search(r"^ARG AIRFLOW_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.M)
    assert base and base.group(1).startswith("apache/airflow:3."), "Dockerfile: not on the official image"
    assert "requirements/main.lock" in DOCKERFILE.read_text(), "Dockerfile ignores the lock"
    pinned_airflow = re.search(
        r"^apache-airflow==(\S+)$", (PROJECT_ROOT / "requirements/main.lock").read_text(), re.M
    )
    assert pinned_airflow and f"apache/airflow:{pinned_airflow.group(1)}-" in base.group(1)


def test_airflow_topology(services: dict[str, dict]) -> None:
    for name, command in AIRFLOW_COMPONENTS.items():
        assert command_text(services[name]).split()[0] == command, name
    project_image = {
        name for name, svc in services.items() if svc.get("image", "").startswith("culturewatch-")
    }
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:${REDIS_PASSWORD}@redis:6379/")
    assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    assert "airflow-apiserver:8080/execution/" in env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    for name in [*AIRFLOW_COMPONENTS, *workers(services), "airflow-init"]:
        assert name in project_image and services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == (
            "CeleryExecutor"
        ), f"{name}: not the shared Airflow configuration"


def test_authentication_is_on(services: dict[str, dict]) -> None:
    env = services["airflow-apiserver"]["environment"]
    assert "FabAuthManager" in env["AIRFLOW__CORE__AUTH_MANAGER"]
    assert "SIMPLE_AUTH_MANAGER_ALL_ADMINS" not in str(services)
    assert "users create" in command_text(services["airflow-init"])
    assert "--app-name basic-auth" in command_text(services["mlflow"])
    assert "--api-key" in services["vllm"]["command"] and "--api-key" in services["llama-cpp"]["command"]


def test_published_ports_are_bound_to_loopback(services: dict[str, dict]) -> None:
    published = {}
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: port {port} is published on every interface"
            published[name] = port
    assert {"airflow-apiserver", "mlflow", "vllm", "llama-cpp"} <= published.keys()
    assert not {"postgres", "redis", "mlflow-db"} & published.keys(), "databases must stay internal"


def test_gpu_services_reserve_an_nvidia_device(services: dict[str, dict]) -> None:
    for name in ("airflow-worker-gpu", "vllm"):
        devices = services[name]["deploy"]["resources"]["reservations"]["devices"]
        assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices), name
        assert "gpu" in services[name]["profiles"]
    assert "--enable-lora" in services["vllm"]["command"]
    mounts = services["vllm"]["volumes"]
    assert any(m.startswith("models:/models") for m in mounts)
    assert any(m.startswith("lora-adapters:") for m in mounts)
    assert services["llama-cpp"]["profiles"] == ["cpu"]


def test_mlflow_has_its_own_database_and_artifact_store(services: dict[str, dict]) -> None:
    mlflow = services["mlflow"]
    assert "@mlflow-db:5432/mlflow" in mlflow["environment"]["MLFLOW_BACKEND_STORE_URI"]
    assert mlflow["depends_on"]["mlflow-db"]["condition"] == "service_healthy"
    assert any(volume.startswith("mlflow-artifacts:") for volume in mlflow["volumes"])
    assert "--artifacts-destination /mlartifacts" in command_text(mlflow)
    assert services["airflow-worker"]["environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"


def test_workers_share_only_the_object_store_and_the_databases(
    compose: dict, services: dict[str, dict]
) -> None:
    """Every Airflow service reads and writes the shared store in the object store and claims runs
    in Postgres; no data volume is mounted by two services, so each may run on its own host."""
    airflow = [*AIRFLOW_COMPONENTS, *workers(services), "airflow-init"]
    for name in airflow:
        environment = services[name]["environment"]
        assert environment["CULTUREWATCH_STORE"].startswith("s3://"), name
        assert environment["AWS_ENDPOINT_URL"] == "http://seaweedfs:8333", name
        assert "@postgres:5432/" in environment["CULTUREWATCH_STATE_DB"], name
        assert environment["CULTUREWATCH_DATA_DIR"] == "/data", name
        if name != "airflow-init":
            assert services[name]["depends_on"]["seaweedfs"]["condition"] == "service_healthy", name
    owners: dict[str, set[str]] = {}
    for name in airflow:
        for volume in services[name]["volumes"]:
            source, target = volume.split(":")[:2]
            if target == "/data":
                owners.setdefault(source, set()).add(name)
    assert owners and all(len(names) == 1 for names in owners.values()), owners
    assert "object-store:/data" in services["seaweedfs"]["volumes"]
    declared = set(compose["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith(("/", ".", "$")):
                assert source in declared, f"{name}: volume {source} is not declared"


def _queues_in_dags() -> set[str]:
    """`queue="..."` literals in the DAG files (task-level routing)."""
    queues = set()
    for path in (PROJECT_ROOT / "dags").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "queue" and isinstance(node.value, ast.Constant):
                queues.add(str(node.value.value))
    return queues


def test_every_queue_the_dags_and_configs_use_has_a_worker(services: dict[str, dict]) -> None:
    default_queue = services["airflow-scheduler"]["environment"]["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
    config_queues = set()
    for path in BUNDLED_CONFIGS:
        try:
            config = load_config(path)
        except Exception as error:  # not a run configuration (e.g. regression thresholds)
            if "models" in yaml.safe_load(path.read_text()):
                raise AssertionError(f"{path.name} does not load: {error}") from error
            continue
        config_queues |= {model.airflow_queue() or default_queue for model in config.models}
    assert "gpu" in config_queues, "no bundled config routes a self-hosted server to the gpu queue"
    needed = {default_queue} | config_queues | _queues_in_dags()
    served: dict[str, set[str]] = {}
    for name, worker in workers(services).items():
        for queue in queues_of(worker):
            served.setdefault(queue, set()).add(name)
    assert sorted(needed - served.keys()) == []
    # the gpu queue: a worker with an NVIDIA device (profile gpu) and a CPU fallback (profile cpu)
    assert {"airflow-worker-gpu", "airflow-worker-cpu"} <= served["gpu"]
    assert served[default_queue] == {"airflow-worker"}
    for name in served["gpu"]:
        assert '--celery-hostname "gpu@%h"' in command_text(services[name]), name


def test_env_example_values_are_usable() -> None:
    """The non-secret defaults work as written: profiles, ports, the image tag."""
    values = env_example()
    assert set(values["COMPOSE_PROFILES"].split(",")) <= {"gpu", "cpu"}
    ports = [name for name in values if name.endswith("_PORT")]
    assert ports == ["AIRFLOW_UI_PORT", "OBJECT_STORE_PORT", "MLFLOW_PORT", "VLLM_PORT", "LLAMA_PORT"]
    assert all(values[name].isdigit() for name in ports)
    assert len({values[name] for name in ports}) == len(ports), "ports collide"
    assert Path(values["LLAMA_MODEL_FILE"]).suffix == ".gguf"


def test_gpu_queue_workers_share_the_model_and_adapter_volumes_with_vllm(services: dict[str, dict]) -> None:
    """The retraining (gpu queue) reads base models and writes the adapters vLLM loads."""
    vllm_mounts = set(services["vllm"]["volumes"])
    assert {"models:/models:ro", "lora-adapters:/adapters:ro"} <= vllm_mounts
    for name in ("airflow-worker-gpu", "airflow-worker-cpu"):
        mounts = set(services[name]["volumes"])
        assert {"models:/models:ro", "lora-adapters:/adapters"} <= mounts, name


def test_the_gpu_fleet_is_sized_for_one_vllm_server(services: dict[str, dict], monkeypatch) -> None:
    """config/gpu.yaml, .env.example and the vllm service agree (docs/gpu.md): one probe task per
    pool slot on a gpu worker, and the lanes' client concurrency fills vLLM's --max-num-seqs."""
    monkeypatch.setenv("VLLM_API_KEY", "test-key")
    config = load_config(PROJECT_ROOT / "include" / "culturewatch" / "config" / "gpu.yaml")
    [endpoint] = config.models
    values = env_example()
    assert endpoint.pool_size == int(values["AIRFLOW_GPU_WORKER_CONCURRENCY"])
    assert endpoint.pool_size * config.client.concurrency == int(values["VLLM_MAX_NUM_SEQS"])
    assert endpoint.deterministic and values["VLLM_BATCH_INVARIANT"] == "1"
    flags = command_text(services["vllm"])
    for flag in (
        "--enable-prefix-caching",
        "--enable-chunked-prefill",
        "--max-num-seqs",
        "--max-num-batched-tokens",
    ):
        assert flag in flags, flag
