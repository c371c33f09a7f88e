// Shapes of the admin API (docs/API.md). Ids are strings, times RFC 3339 UTC.

/** A provider type: one the server lists in GET /admin/provider-types. */
export type ProviderType = string;

export interface Provider {
  id: string;
  name: string;
  type: ProviderType;
  base_url: string;
  api_key_set: boolean;
  api_version: string;
  enabled: boolean;
  timeout_ms: number;
  /** openai_compatible: the server also speaks the Responses API. */
  responses_api?: boolean;
  created_at: string;
  updated_at: string;
  /** Optional: not every server build sends it. */
  default_base_url?: string;
  status?: ProviderStatus;
  /** PEM of a private CA the provider's TLS certificate chains to ("" = system roots). */
  ca_cert?: string;
}

export interface ProviderInput {
  name?: string;
  type?: ProviderType;
  base_url?: string;
  api_key?: string;
  api_version?: string;
  enabled?: boolean;
  timeout_ms?: number;
  ca_cert?: string | null;
  responses_api?: boolean;
}

export interface ProviderTestResult {
  ok: boolean;
  message: string;
  latency_ms: number;
  models: string[] | null;
  /** A failed test: what went wrong, at which address, and the usual fix. */
  cause?: string;
  url?: string;
  hint?: string;
  /** The provider's health once the result is recorded. */
  health?: ProviderStatus;
}

/** What deleting a provider or a model takes with it (GET …/dependents). */
export interface Dependents {
  models: { id: string; alias: string; provider_model: string }[];
  /** Aliases left with no model row. */
  aliases: string[];
  /** Router entries removed with them. */
  fallbacks: { field: 'fallbacks' | 'context_window_fallbacks'; alias: string; to: string }[];
  /** Keys whose allowed models name one of the aliases (they keep the name). */
  keys: { id: string; name: string }[];
}


export interface Deployment {
  id: string;
  alias: string;
  provider_id: string;
  provider_model: string;
  weight: number;
  priority: number;
  supports_vision: boolean;
  supports_tools: boolean;
  supports_streaming: boolean;
  supports_embeddings: boolean;
  context_window: number;
  supports_prefill: boolean;
  first_token_timeout_ms: number | null;
  stream_idle_timeout_ms: number | null;
  /** Response cache TTL in seconds; null: the alias leaves the cache to the key. */
  cache_ttl_s?: number | null;
  cache_shared?: boolean;
  cache_nondeterministic?: boolean;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  /** False when no price row matches provider_model (charged $0). */
  priced?: boolean;
}

export type DeploymentInput = Partial<Omit<Deployment, 'id' | 'created_at' | 'updated_at' | 'priced'>>;

export const STRATEGIES = [
  'simple',
  'random',
  'round_robin',
  'weighted',
  'least_latency',
  'least_cost',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface RouterConfig {
  strategy: Strategy;
  max_retries: number;
  retry_base_ms: number;
  retry_max_ms: number;
  cooldown_after_failures: number;
  cooldown_s: number;
  health_check_interval_s: number;
  fallbacks: Record<string, string[]>;
  context_window_fallbacks: Record<string, string[]>;
  first_token_timeout_ms: number;
  stream_idle_timeout_ms: number;
}

export const BUDGET_DURATIONS = ['total', 'daily', 'weekly', 'monthly'] as const;
export type BudgetDuration = (typeof BUDGET_DURATIONS)[number];

export interface VirtualKey {
  id: string;
  name: string;
  key_prefix: string;
  max_budget: number | null;
  budget_duration: BudgetDuration;
  rpm: number | null;
  rpd: number | null;
  tpm: number | null;
  allowed_models: string[] | null;
  expires_at: string | null;
  enabled: boolean;
  metadata: Record<string, unknown> | null;
  spend: number;
  budget_reset_at: string | null;
  /** Response cache TTL in seconds; null: off for the key. */
  cache_ttl_s?: number | null;
  created_at: string;
  updated_at: string;
}

export interface KeyInput {
  name?: string;
  max_budget?: number | null;
  budget_duration?: BudgetDuration;
  rpm?: number | null;
  rpd?: number | null;
  tpm?: number | null;
  allowed_models?: string[];
  expires_at?: string | null;
  enabled?: boolean;
  metadata?: Record<string, unknown>;
  cache_ttl_s?: number | null;
}

export interface CreatedKey extends VirtualKey {
  key: string;
}

export interface Cost {
  id: string;
  model_pattern: string;
  input_per_mtok: number;
  output_per_mtok: number;
  cached_input_per_mtok: number | null;
  per_image: number | null;
  /** Audio transcription and translation, per second of audio. */
  per_second?: number | null;
  /** Speech, per 1,000 characters of input. */
  per_1k_chars?: number | null;
  /** Rerank, per search unit (a query over up to 100 documents). */
  per_search_unit?: number | null;
  source: 'default' | 'custom';
  created_at?: string;
  updated_at?: string;
}

export interface CostInput {
  model_pattern?: string;
  input_per_mtok?: number;
  output_per_mtok?: number;
  cached_input_per_mtok?: number | null;
  per_image?: number | null;
  per_second?: number | null;
  per_1k_chars?: number | null;
  per_search_unit?: number | null;
}

export interface Settings {
  notify_desktop: boolean;
  notify_webhook_url: string;
  budget_alert_percents: number[];
  expiry_warning_days: number;
  log_bodies: boolean;
  log_retention_days: number;
  autostart: boolean;
  /** Browser origins allowed to call /v1 (CORS); ["*"] for any; empty: none. */
  cors_origins: string[];
}

export type ProviderStatus = 'up' | 'down' | 'unknown';

export interface ProviderHealth {
  id: string;
  name: string;
  type: ProviderType;
  enabled: boolean;
  status: ProviderStatus;
  last_error: string;
  latency_ms: number | null;
}

export interface SystemInfo {
  version: string;
  uptime_s: number;
  mode: 'desktop' | 'headless';
  db_path: string;
  db_bytes: number;
  secrets_backend: string;
  counts: {
    providers: number;
    models: number;
    keys: number;
    costs: number;
    request_logs: number;
  };
  providers: ProviderHealth[] | null;
  /** The client API's base URL (in the desktop window, the address the gateway listens on). */
  base_url?: string;
}

export interface RequestLog {
  id: string;
  time: string;
  key_id: string;
  alias: string;
  provider_id: string;
  provider_model: string;
  status: number;
  error_code: string;
  error_message?: string;
  endpoint?: string;
  latency_ms: number;
  ttfb_ms: number;
  overhead_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
  estimated?: boolean;
  cost: number;
  stream: boolean;
  attempts: number;
  client_ip: string;
  /** Answered by the response cache: cost 0, saved what the answer cost when it was made. */
  cache_hit?: boolean;
  saved?: number;
  /** The request's OpenTelemetry trace id; empty when tracing was off. */
  trace_id?: string;
  /** False when no price row matches provider_model: the cost shows $0. */
  priced?: boolean;
  /** Every upstream call when the first did not answer (empty otherwise). */
  attempt_log?: LogAttempt[] | null;
}

export interface LogAttempt {
  deployment_id: string;
  alias: string;
  provider_id: string;
  provider_model: string;
  status: number;
  error_code?: string;
  error?: string;
  duration_ms: number;
  continuation?: { delivered_bytes: number; blocks?: number } | null;
}

export interface RequestLogDetail extends RequestLog {
  request_body?: string | null;
  response_body?: string | null;
  /** The request's trace in the tracing UI (--trace-url), when both are known. */
  trace_url?: string;
}

/** A provider type as GET /admin/provider-types describes it. */
export interface ProviderTypeInfo {
  type: string;
  label: string;
  /** "" when the type has none (then requires_base_url). */
  default_base_url: string;
  /** An example base URL for a type without a default. */
  base_url_hint: string;
  requires_base_url: boolean;
  /** The type takes an api_version (Azure). */
  api_version: boolean;
  default_api_version: string;
  api_key_optional: boolean;
  capabilities: string[];
  supported: boolean;
}

export interface LogQuery {
  limit?: number;
  before?: string;
  key_id?: string;
  /** The exact alias. */
  model?: string;
  /** A case-insensitive part of the alias or provider model. */
  model_contains?: string;
  provider_id?: string;
  status?: string;
  /** '1': only failed requests. */
  errors?: string;
  /** One request id. */
  id?: string;
  /** RFC 3339. */
  from?: string;
  to?: string;
}

export interface Page<T> {
  data: T[];
  next: string;
}

export const GROUP_BYS = ['day', 'model', 'key', 'provider'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface UsageRow {
  key: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost: number;
  errors: number;
  p50_ms: number;
  p95_ms: number;
  /** Requests the response cache answered, their share, and what they would have cost. */
  cache_hits?: number;
  hit_rate?: number;
  saved?: number;
  /** False for a model or provider group with an unpriced model row. */
  priced?: boolean;
}

export interface UsageQuery {
  from?: string;
  to?: string;
  group_by: GroupBy;
}

export type NotificationType = 'budget' | 'expiry' | 'provider_health' | 'anomaly' | 'system';

export interface Notification {
  id: string;
  type: NotificationType;
  severity: string;
  title: string;
  body: string;
  key_id?: string;
  provider_id?: string;
  time: string;
  read: boolean;
  /** Stable key of the condition and period it fired for (budget, expiry). */
  dedupe?: string;
}

export interface AuditEntry {
  id: string;
  time: string;
  actor: string;
  client_ip: string;
  action: string;
  resource: string;
  resource_id: string;
  changes: unknown;
}

export interface AuditQuery {
  limit?: number;
  before?: string;
  resource?: string;
}

export interface ClientModel {
  id: string;
  object: string;
  created?: number;
  owned_by?: string;
}

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: true;
  temperature?: number;
  max_tokens?: number;
  stream_options?: { include_usage: boolean };
}

export interface ChatChunk {
  id?: string;
  model?: string;
  choices?: { index: number; delta?: { role?: string; content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens?: number } | null;
  error?: { message: string; type?: string; code?: string };
}

export interface ServerEvent {
  event: string;
  data: string;
}
