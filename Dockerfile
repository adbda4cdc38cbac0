# The culturewatch image: the official Airflow image plus the project, installed from the same
# lock file as the development virtualenv (requirements/main.lock, pip constraints). Every Airflow
# service of docker-compose.yaml and the MLflow server run it.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends git curl \
    && rm -rf /var/lib/apt/lists/* \
    # Mount points of the named volumes: a new volume copies this ownership, so the airflow user
    # (uid 50000) can write the data dir, the raw store and MLflow's artifacts.
    && mkdir -p /data/raw /mlartifacts /etc/culturewatch \
    && chown -R airflow:root /data /mlartifacts

USER airflow
COPY --chown=airflow:root requirements/main.lock /opt/culturewatch/requirements/main.lock
COPY --chown=airflow:root pyproject.toml README.md /opt/culturewatch/
COPY --chown=airflow:root include /opt/culturewatch/include
COPY --chown=airflow:root dbt_project /opt/culturewatch/dbt_project
# The `stack` extra adds what only the services need (Flask-WTF for MLflow's basic auth).
RUN pip install --no-cache-dir -c /opt/culturewatch/requirements/main.lock -e "/opt/culturewatch[stack]" \
    && python -c "import culturewatch, airflow.providers.celery, psycopg2, asyncpg" \
    # the dbt manifest the transform DAG renders from (parsing a DAG never runs dbt)
    && culturewatch dbt-manifest
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins

ENV CULTUREWATCH_DATA_DIR=/data \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
