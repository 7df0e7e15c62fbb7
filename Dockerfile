# syntax=docker/dockerfile:1
# Multi-stage: dependencies are installed (CPU torch first, pinned) before the source is copied,
# so editing code does not reinstall the world.
FROM python:3.11-slim AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH
# The CPU wheel: a bare `torch` would pull a multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
# Install only the dependencies (a stub package lets pip resolve them from pyproject.toml).
RUN mkdir -p bot index config && touch bot/__init__.py index/__init__.py config/__init__.py \
    && pip install . && pip uninstall -y newsdesk

FROM python:3.11-slim AS app
ENV PATH=/venv/bin:$PATH HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    NEWSDESK_INDEX_DIR=/data/index NEWSDESK_ARTICLES_DIR=/data/articles
COPY --from=deps /venv /venv
WORKDIR /app
COPY . .
RUN pip install --no-deps . && mkdir -p /data && cp -r data/articles /data/articles
RUN useradd --create-home newsdesk && chown -R newsdesk /data
USER newsdesk
VOLUME ["/data"]
ENTRYPOINT ["newsdesk"]
CMD ["--help"]
