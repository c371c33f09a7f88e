package tracing

import "go.opentelemetry.io/otel/attribute"

// Conduit's own span attributes, beside the GenAI semantic conventions' gen_ai.* ones.
const (
	Alias           = attribute.Key("conduit.alias")         // the model alias asked for (attempt: the alias of the deployment)
	KeyID           = attribute.Key("conduit.key_id")        // the virtual key's id, or "master"
	RequestID       = attribute.Key("conduit.request_id")    // the x-request-id of the answer
	Attempt         = attribute.Key("conduit.attempt")       // attempt span: its number; request span: attempts made
	RetryReason     = attribute.Key("conduit.retry_reason")  // attempt span: why the attempt before it failed
	Cache           = attribute.Key("conduit.cache")         // the response cache's verdict: hit, miss, bypass
	CostUSD         = attribute.Key("conduit.cost_usd")      // what the request cost
	Fallback        = attribute.Key("conduit.fallback")      // the fallback alias that answered
	ProviderAccount = attribute.Key("conduit.provider")      // attempt span: the provider account's name
	Deployment      = attribute.Key("conduit.deployment_id") // attempt span: the model row called
	// RequestBody and ResponseBody carry the bodies when settings.log_bodies is on (each at
	// most the size the request log keeps).
	RequestBody  = attribute.Key("conduit.request.body")
	ResponseBody = attribute.Key("conduit.response.body")
	// GenAISystem is the former name of gen_ai.provider.name, which many backends still read.
	GenAISystem = attribute.Key("gen_ai.system")
)

// Operation is the gen_ai.operation.name of a /v1 endpoint ("" for endpoints that call no
// model: the model list, stored responses, token counting).
func Operation(endpoint string) string {
	switch endpoint {
	case "chat/completions", "messages", "responses":
		return "chat"
	case "completions":
		return "text_completion"
	case "embeddings":
		return "embeddings"
	case "images/generations":
		return "generate_content"
	case "moderations":
		return "moderation"
	}
	return ""
}
