# syntax=docker/dockerfile:1
#
# The single-process deployment: one `emporium serve` with the storefront, the API and the
# browser bundle. Build: `docker build -t emporium .`; run:
#   docker run -p 8080:8080 -v emporium-data:/data emporium
#
# The builder uses the same path as developers and CI: `cargo xtask setup` then
# `cargo xtask build --release` (browser bundle into target/site, binary target/release/emporium).

############################ builder ############################
FROM rust:1-bookworm AS builder

ENV DEBIAN_FRONTEND=noninteractive \
    CARGO_TERM_COLOR=never

# Debian's Rust with its std source and lld (for building the wasm32 std when rustup cannot
# provide the target), and npm for binaryen's wasm-opt. `cargo xtask setup` would install
# them itself; doing it here keeps them in a cached layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        rustc-web cargo-web rust-web-src lld nodejs npm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# wasm32 std (rustup's target, else one built for Debian's rustc), wasm-bindgen-cli at the
# Cargo.lock version, wasm-opt from binaryen 132. No browser or test tools: --build-only.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo xtask setup --build-only

# The target dir is a cache mount, so the artifacts are copied out within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo xtask build --release \
 && mkdir -p /out \
 && cp target/release/emporium /out/emporium \
 && cp -r target/site /out/site

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /app /data

WORKDIR /app
COPY --from=builder /out/emporium /app/emporium
COPY --from=builder /out/site /app/site

# Runs as root: Fly mounts volumes owned by root, and /data holds the SQLite file and the
# generated admin token.
ENV EMPORIUM_ADDR=0.0.0.0:8080 \
    EMPORIUM_DATA_DIR=/data \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    RUST_LOG=info,sqlx=warn

VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM

CMD ["/app/emporium", "serve"]
