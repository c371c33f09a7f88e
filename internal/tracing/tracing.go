// Package tracing exports OpenTelemetry traces of /v1 requests over OTLP, switched on by the
// standard OTEL_EXPORTER_OTLP_* environment, and names the span attributes Conduit sets.
package tracing

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of Conduit's spans.
const Name = "github.com/conduit-gw/conduit"

// Provider starts and exports the spans of a process with tracing on. A nil *Provider is
// tracing off.
type Provider struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TraceContext
}

// Options configure FromEnv.
type Options struct {
	Version string       // service.version
	Logger  *slog.Logger // export failures are logged here (default slog.Default())
}

// Enabled reports whether the environment asks for traces: an OTLP endpoint is set
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and neither
// OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none turns them off.
func Enabled() bool {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return false
	}
	return !strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") &&
		!strings.EqualFold(os.Getenv("OTEL_TRACES_EXPORTER"), "none")
}

// FromEnv builds the trace pipeline the environment describes, or returns nil (tracing off)
// when it describes none (see Enabled). The exporter is OTLP over HTTP/protobuf, or gRPC when
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL says grpc; it reads its
// endpoint, headers, timeout, compression and TLS settings from the environment itself. Spans
// go through a batch processor whose queue is bounded (OTEL_BSP_MAX_QUEUE_SIZE, default
// 2048): when the collector falls behind, spans are dropped, never waited for. service.name
// is "conduit" unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names another.
func FromEnv(ctx context.Context, o Options) (*Provider, error) {
	if !Enabled() {
		return nil, nil
	}
	log := cmp.Or(o.Logger, slog.Default())
	exp, err := exporter(ctx)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("conduit"), semconv.ServiceVersion(o.Version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		log.Warn("tracing: incomplete resource attributes", "err", err)
	}
	// The SDK reports export failures only through its process-wide handler.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing: export failed", "err", err) }))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Provider{tp: tp, tracer: tp.Tracer(Name)}, nil
}

// exporter builds the OTLP exporter for the protocol the environment names.
func exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	proto := cmp.Or(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf")
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch proto {
	case "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("tracing: OTLP protocol %q is not supported (use http/protobuf or grpc)", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP %s exporter: %w", proto, err)
	}
	return exp, nil
}

// Shutdown exports the spans still queued and stops the pipeline; ctx bounds the wait.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if err := p.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flushing spans: %w", err)
	}
	return nil
}

// StartRequest starts the server span of one request to route, continuing the trace of
// the client's W3C traceparent header when it sent one.
func (p *Provider) StartRequest(ctx context.Context, h http.Header, method, route string) (context.Context, trace.Span) {
	ctx = p.prop.Extract(ctx, propagation.HeaderCarrier(h))
	return p.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(route)))
}
