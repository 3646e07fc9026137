# syntax=docker/dockerfile:1
# Build: a static binary (pure-Go SQLite, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/faqbot ./cmd/faqbot \
 && mkdir -p /out/data

# Run: distroless static, non-root, data on a volume.
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
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/app/faqbot", "healthcheck"]
ENTRYPOINT ["/app/faqbot"]
CMD ["serve"]
