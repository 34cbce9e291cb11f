# A multi-stage build: compile with the Rust toolchain, run on a slim
# Debian as a non-root user. libpq and SQLite are built into the binary
# (bundled), so the runtime image needs no database client libraries.
#   docker build -t nattplats .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock diesel.toml ./
# The workspace: cargo reads every member's manifest, so the rules' crate
# and the load tool come in too (only the service is built).
COPY crates crates
COPY tools tools
COPY src src
COPY migrations migrations
# The pages' templates, catalogues and files are built into the binary.
COPY templates templates
COPY locales locales
COPY static static
COPY tests tests
RUN cargo build --release --locked --bin nattplats

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/nattplats --create-home nattplats
COPY --from=build /src/target/release/nattplats /usr/local/bin/nattplats
USER 10001:10001
WORKDIR /var/lib/nattplats
ENV NATTPLATS_BIND=0.0.0.0:8080 \
    NATTPLATS_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/nattplats"]
CMD ["serve"]
