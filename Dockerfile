# syntax=docker/dockerfile:1
# The PromptSales image: the one `promptsales` binary (every service is a subcommand), the
# composed supergraph and the MCP operations, run as a non-root user. No HEALTHCHECK:
# Kubernetes probes the services' own endpoints (charts/promptsales).
#
#   docker build -t promptsales:0.1.0 .                       # production: builds in `builder`
#   docker build --target runtime-prebuilt \
#     --build-arg BINARY=target/release/promptsales -t promptsales:dev .   # a binary built on the host
#
# Stage order matters for builders without BuildKit (scripts/image-check.sh uses one): they
# build every stage up to the target, so the runtime-only target comes before `builder`.

ARG RUST_VERSION=1.95
# The runtime base. scripts/image-check.sh makes an image of this very name and tag with
# debootstrap (--variant=minbase bookworm) when no registry can be reached.
ARG RUNTIME_BASE=debian:bookworm-slim

# ---- what every runtime image has -------------------------------------------------------
FROM ${RUNTIME_BASE} AS runtime-base
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="promptsales" \
      org.opencontainers.image.description="PromptSales: router, subgraphs, MCP adapter and ETL in one binary" \
      org.opencontainers.image.source="https://github.com/promptsales/promptsales" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${RUNTIME_BASE}"
# Build time only (the runtime needs no shell): CA roots for HTTPS to model and ad APIs
# (installed unless the base has them), the user, and the writable data folder.
RUN set -eu; \
    if [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update; \
      apt-get install -y --no-install-recommends ca-certificates; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd --system --gid 10001 promptsales; \
    useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin promptsales; \
    mkdir -p /data; \
    chown 10001:10001 /data
COPY schema/supergraph.graphql /app/schema/supergraph.graphql
COPY mcp/operations/ /app/mcp/operations/
ENV PROMPTSALES_DATA_DIR=/data \
    PROMPTSALES_SUPERGRAPH=/app/schema/supergraph.graphql \
    PROMPTSALES_MCP_OPERATIONS=/app/mcp/operations \
    HOME=/data
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/promptsales"]
CMD ["up"]

# ---- runtime only: a binary built on the host ---------------------------------------------
FROM runtime-base AS runtime-prebuilt
ARG BINARY=target/release/promptsales
# The file keeps its mode (executable) from the build context.
COPY ${BINARY} /usr/local/bin/promptsales

# ---- the build ----------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake clang \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin promptsales \
 && install -D -m 0755 target/release/promptsales /out/promptsales

# ---- production (the default target) -------------------------------------------------------
FROM runtime-base AS runtime
COPY --from=builder /out/promptsales /usr/local/bin/promptsales
