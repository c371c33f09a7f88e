"""Anthropic's Messages API through Conduit with the official SDK.

ANTHROPIC_BASE_URL is Conduit's address without /v1; ANTHROPIC_API_KEY a Conduit virtual key.
"""
import os

import anthropic

client = anthropic.Anthropic()
model = os.environ.get("MODEL", "gpt-4o-mini")

msg = client.messages.create(
    model=model, max_tokens=200, messages=[{"role": "user", "content": "Say hello in five words."}])
print("message:", "".join(b.text for b in msg.content if b.type == "text"))

with client.messages.stream(
        model=model, max_tokens=200, messages=[{"role": "user", "content": "Count to five."}]) as stream:
    print("stream:", "".join(stream.text_stream))

tool = client.messages.create(
    model=model, max_tokens=200,
    tools=[{"name": "get_weather", "description": "Current weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
    messages=[{"role": "user", "content": "Weather in Paris?"}])
for b in tool.content:
    if b.type == "tool_use":
        print("tool use:", b.name, b.input)
