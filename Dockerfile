# queuepulse flows and CLI (queuepulse run live | sync | reconcile, db upgrade, simulate).
# Built by docker-compose.yml; the schema/ folder ships beside the package for `db upgrade`.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY queuepulse ./queuepulse
COPY flows ./flows
# constraints.txt pins every dependency to the version the tests passed with.
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt .

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin queuepulse
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY schema ./schema
# The live flow's recovery directory (a volume in docker-compose.yml): owned by the user, so a
# fresh named volume mounted there is writable.
RUN mkdir -p /var/lib/queuepulse/recovery && chown queuepulse /var/lib/queuepulse/recovery
ENV PYTHONUNBUFFERED=1 \
    QUEUEPULSE_SCHEMA_DIR=/app/schema \
    QUEUEPULSE_OBSERVABILITY__METRICS_HOST=0.0.0.0 \
    QUEUEPULSE_OBSERVABILITY__LOG_FORMAT=json
USER queuepulse
EXPOSE 9464 2101
ENTRYPOINT ["queuepulse"]
CMD ["--help"]
