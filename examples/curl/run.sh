#!/usr/bin/env bash
# Chat, streaming, tools, vision and embeddings through Conduit with curl.
# Needs OPENAI_BASE_URL and OPENAI_API_KEY (the two lines `conduit keys create` prints).
set -euo pipefail
: "${OPENAI_BASE_URL:?run: eval \"\$(conduit keys create demo | grep ^export)\"}"
: "${OPENAI_API_KEY:?}"
MODEL=${MODEL:-gpt-4o-mini}
EMBED_MODEL=${EMBED_MODEL:-text-embedding-3-small}
post() { curl -fsS "$OPENAI_BASE_URL/$1" -H "Authorization: Bearer $OPENAI_API_KEY" -H 'Content-Type: application/json' -d "$2"; echo; }

echo '== chat'
post chat/completions '{"model":"'"$MODEL"'","messages":[{"role":"user","content":"Say hello in five words."}]}'

echo '== streaming'
curl -fsSN "$OPENAI_BASE_URL/chat/completions" -H "Authorization: Bearer $OPENAI_API_KEY" \
  -H 'Content-Type: application/json' \
  -d '{"model":"'"$MODEL"'","stream":true,"messages":[{"role":"user","content":"Count to five."}]}'

echo '== tools'
post chat/completions '{"model":"'"$MODEL"'","messages":[{"role":"user","content":"Weather in Paris?"}],
  "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather",
  "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}'

echo '== vision'
# a 1x1 PNG, inline
img='data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
post chat/completions '{"model":"'"$MODEL"'","messages":[{"role":"user","content":[
  {"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":"'"$img"'"}}]}]}'

echo '== embeddings'
post embeddings '{"model":"'"$EMBED_MODEL"'","input":"Conduit is a gateway."}' | head -c 300; echo
