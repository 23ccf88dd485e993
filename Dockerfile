# One image per service: docker build --build-arg SERVICE=intake -t oco-intake .
# (`make images` builds all four.) The build stage installs exactly what uv.lock resolves
# for the service's package, without development dependencies; the final stage holds that
# virtual environment and Python, nothing else: no compiler, no uv, no pip, no embedded
# nats-server or PostgreSQL (oco-devstack is not a dependency of any service), no tests.
# tests/deploy/test_images.py resolves the same `uv sync` line from the lock file and
# proves it.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "--build-arg SERVICE=intake|assessment|objection|contracting" >&2; exit 1; }
RUN python -m pip install --no-cache-dir uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
RUN uv sync --frozen --no-dev --no-editable --package oco-${SERVICE}

FROM ${PYTHON_IMAGE}
ARG SERVICE
# The interpreter alone: pip and setuptools go, so nothing installs at run time.
RUN python -m pip uninstall --yes pip setuptools wheel >/dev/null 2>&1 || true; \
    groupadd --system --gid 10001 oco \
    && useradd --system --uid 10001 --gid oco --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin oco
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OCO_SERVICE=${SERVICE} \
    OCO_HTTP_HOST=0.0.0.0
WORKDIR /app
USER 10001:10001
# Kubernetes names the command (python -m oco_<service>); this is for `docker run`.
CMD ["sh", "-c", "exec python -m oco_${OCO_SERVICE}"]
