# Claude Code through Conduit: `source env.sh`, then `claude -p "hello"`.
export ANTHROPIC_BASE_URL=http://127.0.0.1:8800   # no /v1: the SDK adds it
export ANTHROPIC_API_KEY=condt_REPLACE_ME          # a Conduit virtual key
export ANTHROPIC_MODEL=gpt-4o-mini                 # any alias Conduit routes
export DISABLE_TELEMETRY=1
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
