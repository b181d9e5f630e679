# syntax=docker/dockerfile:1
# Build: a static binary, no cgo.
FROM docker.io/library/golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/cleandns ./cmd/cleandns
# Let the non-root user bind port 53 without any other privilege.
RUN apt-get update && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service=+ep /out/cleandns \
 && mkdir -p /out/state

# Run: distroless static, non-root. Binding port 53 takes CAP_NET_BIND_SERVICE,
# which the binary carries as a file capability (set above).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cleandns /usr/bin/cleandns
COPY configs/container.yaml /etc/cleandns/config.yaml
# The list store must be writable by the non-root user, volume or not.
COPY --from=build --chown=65532:65532 /out/state /var/lib/cleandns
USER nonroot:nonroot
VOLUME ["/var/lib/cleandns"]
EXPOSE 53/udp 53/tcp 9153/tcp
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/bin/cleandns", "healthcheck", "--http", "127.0.0.1:9153"]
ENTRYPOINT ["/usr/bin/cleandns"]
CMD ["serve", "--config", "/etc/cleandns/config.yaml"]
