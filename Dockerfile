# One image for the router and every subgraph; the process is chosen at run time:
#   docker run polyshop serve router        docker run polyshop serve products
#   docker run polyshop migrate products    (POLYSHOP_DATABASE_URL=...)
# See docs/deploy.md. Lint: hadolint Dockerfile (tests/deploy runs it).

# ---- builder: a virtualenv with the runtime dependencies (wheels only, no compiler) ----
FROM python:3.11-slim-trixie AS builder

# Wheels only: nothing is compiled, so the image needs no compiler in any stage.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ONLY_BINARY=:all:

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build
COPY pyproject.toml ./
COPY deploy/requirements.py deploy/constraints.txt ./deploy/
# Runtime dependencies of pyproject.toml, pinned to the versions the test suite ran
# (deploy/constraints.txt; `python -m deploy` regenerates it).
RUN python deploy/requirements.py pyproject.toml > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt -c deploy/constraints.txt

# ---- runtime: the interpreter, the virtualenv and our source; runs as an unprivileged user ----
FROM python:3.11-slim-trixie AS runtime

LABEL org.opencontainers.image.title="polyshop" \
      org.opencontainers.image.description="PolyShop federation router and subgraphs"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    POLYSHOP_HOST=0.0.0.0 \
    POLYSHOP_ROUTER_SUPERGRAPH=/app/schema/supergraph.graphql

RUN groupadd --system --gid 10001 polyshop \
    && useradd --system --uid 10001 --gid polyshop --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin polyshop

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Owned by root and not writable by the service user: the code is immutable at run time.
COPY supergraph.yaml pyproject.toml ./
COPY schema ./schema
COPY migrations ./migrations
COPY polyshop ./polyshop
COPY router ./router
COPY subgraphs ./subgraphs
COPY deploy/__init__.py deploy/entrypoint.py ./deploy/
RUN python -m compileall -q /app

USER 10001:10001
EXPOSE 4000 4001 4002 4003 4004 4005 4006 4007

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "deploy.entrypoint", "healthcheck"]

ENTRYPOINT ["python", "-m", "deploy.entrypoint"]
CMD ["serve"]
