# Multi-stage build of the server and its web bundle. Build: docker build -t switchboard .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
ENV CARGO_TARGET_DIR=/src/target
RUN scripts/build-web.sh --release --site-dir /src/site \
    && cargo build --release -p server --bin switchboard

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/switchboard --create-home switchboard
COPY --from=build /src/target/release/switchboard /usr/local/bin/switchboard
COPY --from=build /src/site /usr/share/switchboard/site
USER switchboard
WORKDIR /var/lib/switchboard
ENV BIND=0.0.0.0:8080 DATA_DIR=/var/lib/switchboard/data SITE_ROOT=/usr/share/switchboard/site
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/ready || exit 1
CMD ["switchboard"]
