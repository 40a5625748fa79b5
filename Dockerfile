# Production image: docker compose up (see docker-compose.yml).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pledgeflow

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/pledgeflow pledgeflow
COPY --from=build /src/target/release/pledgeflow /usr/local/bin/pledgeflow
COPY config/production.example.toml /etc/pledgeflow/production.toml
USER pledgeflow
WORKDIR /var/lib/pledgeflow
EXPOSE 8080
ENTRYPOINT ["pledgeflow", "--config", "/etc/pledgeflow/production.toml"]
CMD ["serve"]
