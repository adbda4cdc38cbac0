# The culturewatch Airflow image: the official Airflow image plus the project, installed from
# the same lock file as the development virtualenv.
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
USER airflow
COPY --chown=airflow:root requirements/main.lock /opt/culturewatch/requirements/main.lock
COPY --chown=airflow:root pyproject.toml README.md /opt/culturewatch/
COPY --chown=airflow:root include /opt/culturewatch/include
COPY --chown=airflow:root dbt_project /opt/culturewatch/dbt_project
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
RUN pip install --no-cache-dir -c /opt/culturewatch/requirements/main.lock -e /opt/culturewatch
ENV CULTUREWATCH_DATA_DIR=/data \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
