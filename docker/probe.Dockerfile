# syntax=docker/dockerfile:1
# The probe image: the `netchecks` CLI that every probe Pod runs (no Kubernetes client).
#   docker build -f docker/probe.Dockerfile -t netchecks-probe .
# Base pinned to an exact release; pin its digest as well in the release pipeline.
ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY packages/netchecks-core packages/netchecks-core
COPY packages/netchecks-probe packages/netchecks-probe
# Wheels of this repository, then a venv holding them and their declared dependencies only.
RUN python -m pip wheel --no-deps --wheel-dir /wheels packages/netchecks-core packages/netchecks-probe
RUN python -m venv /opt/netchecks \
 && /opt/netchecks/bin/pip install /wheels/netchecks_core-*.whl \
      "$(ls /wheels/netchecks_probe-*.whl)[postgres]" \
 && /opt/netchecks/bin/pip uninstall --yes pip \
 && find /opt/netchecks -name __pycache__ -prune -exec rm -rf {} + \
 && /opt/netchecks/bin/python -m compileall -q /opt/netchecks/lib
# Pre-warm the CEL parser cache (netchecks_core.cel): Pods start without building it.
ENV NETCHECKS_CACHE_DIR=/opt/netchecks/cache
RUN /opt/netchecks/bin/python -c "from netchecks_core import cel; cel.evaluate('1 == 1', {})" \
 && ls /opt/netchecks/cache/cel-parser-*.cache \
 && chmod -R a+rX /opt/netchecks/cache \
 && /opt/netchecks/bin/netchecks --version

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/netchecks /opt/netchecks
ENV PATH=/opt/netchecks/bin:$PATH \
    NETCHECKS_CACHE_DIR=/opt/netchecks/cache \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
LABEL org.opencontainers.image.title="netchecks-probe" \
      org.opencontainers.image.description="Runs netchecks DNS, HTTP, TCP and PostgreSQL checks and judges them with CEL" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="netchecks" \
      org.opencontainers.image.version="0.1.0"
USER 65532:65532
ENTRYPOINT ["netchecks"]
CMD ["--help"]
