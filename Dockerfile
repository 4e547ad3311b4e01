# The evalcore image: the GitHub Action (no arguments: `python -m entrypoint` reads INPUT_*) and the evalcore
# command (`docker run IMAGE run suite.yml`). It builds with the classic builder (DOCKER_BUILDKIT=0, Docker 20.10,
# act) and with BuildKit alike: no `RUN --mount`, no `# syntax=` line. CI on a machine without a registry builds it
# with --build-arg BASE_IMAGE=local/python:3-bookworm (.ci/docker.sh).
ARG BASE_IMAGE=python:3.12-slim

# Install evalcore into a virtual environment of its own, trim unused AWS service data and compile what is left (a
# fast start: `docker run IMAGE --version` under a second). The dependencies come first, from pyproject.toml alone
# (and a placeholder README), so that a change to the sources or the README does not fetch them again. Nothing of this
# stage but the finished environment reaches the image.
FROM ${BASE_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
COPY evalcore/__init__.py ./evalcore/
# hadolint ignore=DL3013
RUN python -m venv --without-pip /opt/evalcore \
    && touch README.md \
    && pip --python /opt/evalcore/bin/python install --no-compile ".[emulator]"
COPY README.md ./
COPY evalcore ./evalcore
COPY evalcore_emulator ./evalcore_emulator
COPY entrypoint ./entrypoint
COPY image/trim.py /tmp/trim.py
# hadolint ignore=DL3013
RUN pip --python /opt/evalcore/bin/python install --no-compile --no-deps --force-reinstall . \
    && /opt/evalcore/bin/python /tmp/trim.py

# The image: the base and the finished environment, one layer.
FROM ${BASE_IMAGE}
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/evalcore/bin:${PATH}
COPY --from=builder /opt/evalcore /opt/evalcore
# GitHub mounts the repository here and starts the container in it; `docker run -v "$PWD:/github/workspace"` too.
WORKDIR /github/workspace
ENTRYPOINT ["python", "-m", "entrypoint"]
