"""Chat, streaming, tools, vision and embeddings through Conduit with the official OpenAI SDK.

The SDK reads OPENAI_BASE_URL and OPENAI_API_KEY (the two lines `conduit keys create` prints).
"""
import os

from openai import OpenAI

client = OpenAI()
model = os.environ.get("MODEL", "gpt-4o-mini")

chat = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Say hello in five words."}])
print("chat:", chat.choices[0].message.content)

text = ""
for chunk in client.chat.completions.create(
        model=model, stream=True, messages=[{"role": "user", "content": "Count to five."}]):
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
print("stream:", text)

tools = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
call = client.chat.completions.create(
    model=model, tools=tools, messages=[{"role": "user", "content": "Weather in Paris?"}])
for tc in call.choices[0].message.tool_calls or []:
    print("tool call:", tc.function.name, tc.function.arguments)

pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
         "DwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
vision = client.chat.completions.create(model=model, messages=[{"role": "user", "content": [
    {"type": "text", "text": "What is in this image?"},
    {"type": "image_url", "image_url": {"url": pixel}}]}])
print("vision:", vision.choices[0].message.content)

emb = client.embeddings.create(
    model=os.environ.get("EMBED_MODEL", "text-embedding-3-small"), input="Conduit is a gateway.")
print("embedding dimensions:", len(emb.data[0].embedding))
