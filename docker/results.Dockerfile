# syntax=docker/dockerfile:1
# The results image: the `netchecks-results` service (health and metrics on :8080).
#   docker build -f docker/results.Dockerfile -t netchecks-results .
# Base pinned to an exact release; pin its digest as well in the release pipeline.
ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY packages/netchecks-core packages/netchecks-core
COPY packages/netchecks-service packages/netchecks-service
COPY packages/netchecks-results packages/netchecks-results
# Wheels of this repository, then a venv holding them and their declared dependencies only.
RUN python -m pip wheel --no-deps --wheel-dir /wheels packages/netchecks-core packages/netchecks-service \
    packages/netchecks-results
RUN python -m venv /opt/netchecks \
 && /opt/netchecks/bin/pip install /wheels/*.whl \
 && /opt/netchecks/bin/pip uninstall --yes pip \
 && find /opt/netchecks -name __pycache__ -prune -exec rm -rf {} + \
 && /opt/netchecks/bin/python -m compileall -q /opt/netchecks/lib \
 && /opt/netchecks/bin/netchecks-results --version

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/netchecks /opt/netchecks
ENV PATH=/opt/netchecks/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
LABEL org.opencontainers.image.title="netchecks-results" \
      org.opencontainers.image.description="Turns finished probe Pods into PolicyReports" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="netchecks" \
      org.opencontainers.image.version="0.1.0"
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["netchecks-results"]
