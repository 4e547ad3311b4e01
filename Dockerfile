# The evalcore image: the GitHub Action (no arguments: `python -m entrypoint` reads INPUT_*) and the evalcore
# command (`docker run IMAGE run suite.yml`). CI here builds it with --build-arg BASE_IMAGE=local/python:3-bookworm.
ARG BASE_IMAGE=python:3.12-slim

# Build every wheel here; nothing of this stage but the wheels reaches the image. The dependencies' wheels come
# first, from pyproject.toml alone (and a placeholder README), so that a change to the sources or the README does not
# fetch them again; evalcore's own wheel is built after.
FROM ${BASE_IMAGE} AS builder
WORKDIR /src
COPY pyproject.toml ./
COPY evalcore/__init__.py ./evalcore/
RUN --mount=type=cache,target=/root/.cache/pip touch README.md \
    && pip wheel --wheel-dir /wheels ".[emulator]" && rm /wheels/evalcore-*.whl
COPY README.md ./
COPY evalcore ./evalcore
COPY entrypoint ./entrypoint
RUN --mount=type=cache,target=/root/.cache/pip pip wheel --no-deps --wheel-dir /wheels .

# Install from the wheels (bind-mounted, so they take no layer), trim unused AWS service data in the same step, and
# compile what is left (a fast start: `docker run IMAGE --version` under a second).
FROM ${BASE_IMAGE}
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# No index: the only versions on offer are the wheels the builder stage resolved (hence no pins here).
# hadolint ignore=DL3013
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,source=image/trim.py,target=/tmp/trim.py \
    pip install --no-cache-dir --no-compile --no-index --find-links /wheels "evalcore[emulator]" \
    && python /tmp/trim.py
# GitHub mounts the repository here and starts the container in it; `docker run -v "$PWD:/github/workspace"` too.
WORKDIR /github/workspace
ENTRYPOINT ["python", "-m", "entrypoint"]
