# Build: a static binary (pure-Go SQLite, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/faqbot ./cmd/faqbot \
 && mkdir -p /out/data

# Run: distroless static, non-root (uid:gid 65532:65532), data on a volume.
# A named volume (-v faqbot-data:/data) gets the right owner from the image;
# a host folder (-v /srv/faqbot:/data) must be writable by uid 65532 first:
#   sudo chown -R 65532:65532 /srv/faqbot
# To change the FAQ without rebuilding, mount a folder over /app/faq
# (-v /srv/faqbot-faq:/app/faq:ro).
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/faqbot /app/faqbot
COPY --from=build --chown=nonroot:nonroot /out/data /data
COPY faq /app/faq
ENV FAQBOT_ADDR=:8080 \
    FAQBOT_DATA_DIR=/data \
    FAQBOT_FAQ_DIR=/app/faq
USER nonroot:nonroot
VOLUME ["/data"]
EXPOSE 8080
# healthcheck asks the address serve wrote to /data/faqbot.addr, so a
# command such as "serve --addr :9090" keeps the check working.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/app/faqbot", "healthcheck"]
ENTRYPOINT ["/app/faqbot"]
CMD ["serve"]
