# Production image: docker compose up (see docker-compose.yml).
FROM rust:1.95.0-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when Cargo.toml or Cargo.lock
# change, not on every change to our code. Every target the manifests declare gets a stub.
COPY Cargo.toml Cargo.lock ./
COPY migrations/Cargo.toml migrations/
COPY vendor vendor
RUN mkdir -p src migrations/src tests/api benches \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs migrations/src/lib.rs \
    && echo 'fn main() {}' > tests/api/main.rs \
    && for b in planner delivery export storage; do echo 'fn main() {}' > benches/$b.rs; done \
    && cargo build --release --locked --bin pledgeflow \
    && rm -rf src migrations/src tests benches
COPY . .
# The stubs' build stamps are older than our sources; touch makes sure cargo sees the change.
RUN touch src/main.rs src/lib.rs migrations/src/lib.rs \
    && cargo build --release --locked --bin pledgeflow

FROM debian:12.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/pledgeflow pledgeflow \
    && mkdir -p /var/lib/pledgeflow/data && chown -R pledgeflow /var/lib/pledgeflow
COPY --from=build /src/target/release/pledgeflow /usr/local/bin/pledgeflow
COPY config/production.example.toml /etc/pledgeflow/production.toml
USER pledgeflow
WORKDIR /var/lib/pledgeflow
# Attachments (and mail files, a SQLite database if one is used) live here: mount a volume.
VOLUME /var/lib/pledgeflow/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=6s --retries=5 \
    CMD ["pledgeflow", "--config", "/etc/pledgeflow/production.toml", "healthcheck"]
ENTRYPOINT ["pledgeflow", "--config", "/etc/pledgeflow/production.toml"]
CMD ["serve"]
