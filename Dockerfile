# syntax=docker/dockerfile:1
# authlens: multi-stage build, small non-root runtime image.
#   docker build -t authlens .
#   docker run --rm -p 127.0.0.1:8080:8080 -v $PWD/my.yaml:/etc/authlens/authlens.yaml:ro authlens
# The config must set `listen: 0.0.0.0:8080` (and `admin_listen: 0.0.0.0:9901` for Prometheus
# to scrape from outside the container); the HEALTHCHECK below reaches the admin listener on
# 127.0.0.1 inside the container either way, as long as it stays on port 9901.

FROM rust:1.88-bookworm AS build
# aws-lc-rs (rustls' crypto) builds C code with cmake.
RUN apt-get update && apt-get install -y --no-install-recommends cmake && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin authlens \
    && install -m 0755 target/release/authlens /authlens

# The runtime has no shell and no curl, so the health check uses a static busybox's wget.
FROM busybox:1.36-musl AS busybox

# glibc + libgcc, CA certificates, user 65532 (nonroot); no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /authlens /usr/local/bin/authlens
COPY --from=busybox /bin/busybox /usr/local/bin/busybox
COPY config/minimal.yaml /etc/authlens/authlens.yaml
USER 65532:65532
EXPOSE 8080 9901
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/busybox", "wget", "-q", "-T", "2", "-O", "/dev/null", "http://127.0.0.1:9901/healthz"]
ENTRYPOINT ["/usr/local/bin/authlens"]
CMD ["run", "--config", "/etc/authlens/authlens.yaml"]
