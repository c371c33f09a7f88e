"""Chat, streaming, a tool call and an embedding through Conduit with LangChain (Python).

langchain-openai reads OPENAI_BASE_URL and OPENAI_API_KEY (the two lines `conduit keys create`
prints).
"""
import os

from langchain_openai import ChatOpenAI, OpenAIEmbeddings

llm = ChatOpenAI(model=os.environ.get("MODEL", "gpt-4o-mini"))
print("chat:", llm.invoke("Say hello in five words.").content)

print("stream:", "".join(chunk.content for chunk in llm.stream("Count to five.")))

weather = {
    "type": "function",
    "function": {
        "name": "get_weather", "description": "Current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
call = llm.bind_tools([weather]).invoke("Weather in Paris?")
print("tool call:", call.tool_calls[0]["name"], call.tool_calls[0]["args"])

embeddings = OpenAIEmbeddings(model="text-embedding-3-small")
print("embedding dimensions:", len(embeddings.embed_query("hello")))
