// Package providers defines what a provider adapter is, keeps the registry of provider types
// and the kit adapters share (HTTP client base, stream plumbing, translation helpers).
package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/conduit-gw/conduit/internal/llm"
)

// Config is what an adapter needs to reach one provider account.
type Config struct {
	Type       string
	BaseURL    string // empty: the type's default
	APIKey     string
	APIVersion string
	// ResponsesAPI: the upstream also serves OpenAI's Responses API (types that may or may
	// not, such as openai_compatible, read it).
	ResponsesAPI bool
	// Client is shared by every adapter; its transport pools connections.
	Client *http.Client
}

// Provider is the core every adapter implements: chat completions, whole or streamed.
// model is the provider's model (or Azure deployment) name.
type Provider interface {
	Chat(ctx context.Context, req *llm.ChatRequest, model string) (*llm.Response, error)
	ChatStream(ctx context.Context, req *llm.ChatRequest, model string) (llm.ChunkStream, error)
}

// Embedder is implemented by adapters that serve /v1/embeddings.
type Embedder interface {
	Embeddings(ctx context.Context, req *llm.EmbeddingsRequest, model string) (*llm.Response, error)
}

// ImageGenerator is implemented by adapters that serve /v1/images/generations.
// body is the client's OpenAI request JSON.
type ImageGenerator interface {
	GenerateImages(ctx context.Context, body []byte, model string) (*llm.Response, error)
}

// Moderator is implemented by adapters that serve /v1/moderations. body is the client's
// OpenAI request JSON.
type Moderator interface {
	Moderate(ctx context.Context, body []byte, model string) (*llm.Response, error)
}

// Reranker is implemented by adapters that serve /v1/rerank. The answer is in Cohere's
// shape: {"results":[{"index","relevance_score","document":{"text"}}],"meta":{"billed_units":
// {"search_units"}}}, with each result's document when req.ReturnDocuments.
type Reranker interface {
	Rerank(ctx context.Context, req *llm.RerankRequest, model string) (*llm.Response, error)
}

// AudioAPI is implemented by adapters whose upstream serves OpenAI's audio endpoints.
type AudioAPI interface {
	// Transcribe uploads req to /audio/transcriptions (/audio/translations when
	// req.Translate). The answer is the upstream's, in the response_format asked for: JSON,
	// or text with its ContentType.
	Transcribe(ctx context.Context, req *AudioRequest, model string) (*llm.Response, error)
	// Speech sends a text-to-speech request; the audio is returned as it arrives, once the
	// upstream answered with a success status.
	Speech(ctx context.Context, req *llm.SpeechRequest, model string) (*llm.Binary, error)
}

// AudioRequest is an upload to transcribe, as adapters get it.
type AudioRequest = llm.AudioRequest

// ResponsesAPI is implemented by adapters whose upstream serves OpenAI's Responses API
// (POST /responses): body is the client's Responses request JSON, forwarded with only the
// model replaced. The stream yields each event's JSON object and ends (io.EOF) after the
// terminal response.completed, response.incomplete or response.failed event.
type ResponsesAPI interface {
	Responses(ctx context.Context, body []byte, model string) (*llm.Response, error)
	ResponsesStream(ctx context.Context, body []byte, model string) (llm.ChunkStream, error)
}

// Completer is implemented by adapters whose upstream serves OpenAI's legacy text
// completions (POST /completions): body is the client's request JSON, forwarded with only
// the model replaced (and stream usage asked for). The stream yields each chunk's JSON.
type Completer interface {
	Completions(ctx context.Context, body []byte, model string) (*llm.Response, error)
	CompletionsStream(ctx context.Context, body []byte, model string) (llm.ChunkStream, error)
}

// MessagesAPI is implemented by adapters whose upstream serves Anthropic's Messages API:
// body is the client's Messages request JSON, forwarded with only the model replaced, and
// header the client's headers to pass on (anthropic-beta). The stream yields each event's
// JSON object and ends (io.EOF) after message_stop.
type MessagesAPI interface {
	Messages(ctx context.Context, body []byte, model string, header http.Header) (*llm.Response, error)
	MessagesStream(ctx context.Context, body []byte, model string, header http.Header) (llm.ChunkStream, error)
	// CountTokens counts a request's input tokens (POST /v1/messages/count_tokens); the
	// answer is the upstream's {"input_tokens":n}.
	CountTokens(ctx context.Context, body []byte, model string, header http.Header) (*llm.Response, error)
}

// ModelLister is implemented by adapters that can list the provider's models (used by the
// connection test and the UI's quick-add).
type ModelLister interface {
	ListModels(ctx context.Context) ([]string, error)
}

// ErrNoModelList is what ListModels returns, wrapped, for an upstream that answered but lists
// no models: a server for which the models list is optional (a small local server that serves
// chat but not GET /models) answered it with 404, 405 or 501. The upstream is reachable: a
// health check counts it as up.
var ErrNoModelList = errors.New("it does not list its models (GET /models is not served)")

// Unsupported is the error of a request for something the provider does not serve; it is
// retryable, as another deployment of the alias may serve it.
func Unsupported(provider, what string) *llm.Error {
	return &llm.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: llm.CodeInvalidRequest,
		Message: "provider " + provider + " does not support " + what, Param: "model", Retryable: true}
}

// Check validates cfg for the adapter name and resolves its defaults: the base URL (trailing
// slashes trimmed; defaultBase when empty) must be an absolute http(s) URL, the API key must
// be set, and the client is http.DefaultClient when none was given.
func (c Config) Check(name, defaultBase string) (base string, hc *http.Client, err error) {
	base = strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = defaultBase
	}
	if u, err := url.Parse(base); err != nil {
		return "", nil, fmt.Errorf("%s: bad base_url: %w", name, err)
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, fmt.Errorf("%s: bad base_url %q: not an http(s) URL", name, base)
	}
	if c.APIKey == "" {
		return "", nil, fmt.Errorf("%s: api_key is required", name)
	}
	hc = c.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	return base, hc, nil
}
