package gateway

import (
	"context"
	"strconv"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/conduit-gw/conduit/internal/llm"
	"github.com/conduit-gw/conduit/internal/snapshot"
	"github.com/conduit-gw/conduit/internal/tracing"
)

// The spans of a traced request: the HTTP face starts the request's server span (Call.Span)
// and the gateway adds a client span per upstream attempt, then sets the outcome on both
// when the request finishes. Everything here runs only for a call with a span: with tracing
// off, the gateway's hot path does none of it.

// startAttemptSpan starts the client span of one upstream attempt under the request's span.
// The returned context carries it to the adapter, which passes its traceparent upstream.
func (c *Call) startAttemptSpan(ctx context.Context, d *snapshot.Deployment) (context.Context, trace.Span) {
	if c.answerSpan != nil { // an answer cut mid-stream goes on from another deployment
		c.answerSpan.SetStatus(codes.Error, "the stream broke off")
		c.answerSpan.End()
		c.answerSpan = nil
	}
	op := tracing.Operation(c.Endpoint)
	attrs := []attribute.KeyValue{
		semconv.GenAIProviderNameKey.String(d.Provider.GenAIName), tracing.GenAISystem.String(d.Provider.GenAIName),
		semconv.GenAIRequestModel(d.ProviderModel), tracing.Attempt.Int(c.Attempts),
		tracing.Alias.String(d.Alias), tracing.ProviderAccount.String(d.Provider.Name), tracing.Deployment.String(d.ID),
	}
	if op != "" {
		attrs = append(attrs, semconv.GenAIOperationNameKey.String(op))
	}
	if c.retryReason != "" {
		attrs = append(attrs, tracing.RetryReason.String(c.retryReason))
	}
	return c.Span.TracerProvider().Tracer(tracing.Name).Start(ctx, spanName(op, d.ProviderModel),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// endAttemptSpan ends a failed attempt's span and notes why it failed for the next one. The
// span of the attempt that answered stays open until the request finishes: a stream is
// still being relayed from it.
func (c *Call) endAttemptSpan(sp trace.Span, e *llm.Error) {
	if e == nil {
		c.answerSpan = sp
		return
	}
	status := e.Status
	if e.UpstreamStatus != 0 {
		status = e.UpstreamStatus
	}
	sp.SetAttributes(semconv.ErrorTypeKey.String(e.Code), semconv.HTTPResponseStatusCode(status))
	sp.SetStatus(codes.Error, e.Message)
	sp.End()
	c.retryReason = e.Code
	if e.UpstreamStatus != 0 {
		c.retryReason = "upstream status " + strconv.Itoa(e.UpstreamStatus)
	}
}

// traceFinish sets the request's outcome on its span and on the span of the attempt that
// answered, and ends the latter (the HTTP face ends the request's span once the answer is
// written).
func (c *Call) traceFinish(r *record) {
	if sc := c.Span.SpanContext(); sc.IsSampled() { // an unsampled trace is exported nowhere
		r.TraceID = sc.TraceID().String()
	}
	out := []attribute.KeyValue{tracing.RequestID.String(r.ID), tracing.KeyID.String(r.KeyID),
		tracing.Attempt.Int(r.Attempts), tracing.CostUSD.Float64(r.Cost)}
	if r.Alias != "" { // a request refused for its body may name none
		out = append(out, tracing.Alias.String(r.Alias), semconv.GenAIRequestModel(r.Alias))
	}
	if op := tracing.Operation(c.Endpoint); op != "" {
		out = append(out, semconv.GenAIOperationNameKey.String(op))
	}
	if c.Fallback != "" {
		out = append(out, tracing.Fallback.String(c.Fallback))
	}
	if c.Cache != "" {
		out = append(out, tracing.Cache.String(c.Cache))
	}
	answer := r.answerAttributes()
	if r.keepBodies {
		out = append(out, tracing.RequestBody.String(string(r.RequestBody)), tracing.ResponseBody.String(string(r.ResponseBody)))
	}
	c.Span.SetAttributes(append(out, answer...)...)
	if r.err != nil {
		e := llm.AsError(r.err)
		c.Span.SetAttributes(semconv.ErrorTypeKey.String(e.Code))
		if e.Status >= 500 { // a client's own error is not the server's failure
			c.Span.SetStatus(codes.Error, e.Message)
		}
	}
	if sp := c.answerSpan; sp != nil {
		c.answerSpan = nil
		sp.SetAttributes(answer...)
		if r.err != nil {
			sp.SetStatus(codes.Error, llm.AsError(r.err).Message)
		}
		sp.End()
	}
}

// answerAttributes describe the answer: the model that gave it, its usage and why it ended.
func (r *record) answerAttributes() []attribute.KeyValue {
	var out []attribute.KeyValue
	if r.ProviderModel != "" {
		out = append(out, semconv.GenAIResponseModel(r.ProviderModel))
	}
	if r.PromptTokens > 0 || r.CompletionTokens > 0 {
		out = append(out, semconv.GenAIUsageInputTokens(r.PromptTokens), semconv.GenAIUsageOutputTokens(r.CompletionTokens))
	}
	if len(r.finishReasons) > 0 {
		out = append(out, semconv.GenAIResponseFinishReasons(r.finishReasons...))
	}
	return out
}

// traceRequest sets the request parameters the GenAI conventions name on the request's span.
func traceRequest(sp trace.Span, body []byte) {
	var out []attribute.KeyValue
	res := gjson.GetManyBytes(body, "max_completion_tokens", "max_tokens", "max_output_tokens", "temperature", "top_p")
	for _, v := range res[:3] {
		if v.Type == gjson.Number {
			out = append(out, semconv.GenAIRequestMaxTokens(int(v.Int())))
			break
		}
	}
	if v := res[3]; v.Type == gjson.Number {
		out = append(out, semconv.GenAIRequestTemperature(v.Float()))
	}
	if v := res[4]; v.Type == gjson.Number {
		out = append(out, semconv.GenAIRequestTopP(v.Float()))
	}
	sp.SetAttributes(out...)
}

// noteFinish collects the finish reasons an answer (or one stream event) reports, in the
// client API's dialect: chat and text completion choices, or a Messages stop_reason.
func (r *record) noteFinish(body []byte) {
	res := gjson.GetManyBytes(body, "choices.#.finish_reason", "stop_reason", "delta.stop_reason")
	for _, v := range res[0].Array() {
		if v.Type == gjson.String {
			r.finishReasons = append(r.finishReasons, v.Str)
		}
	}
	for _, v := range res[1:] {
		if v.Type == gjson.String {
			r.finishReasons = append(r.finishReasons, v.Str)
		}
	}
}

// spanName names an attempt's span as the GenAI conventions do: "{operation} {model}".
func spanName(op, model string) string {
	if op == "" {
		return model
	}
	return op + " " + model
}
