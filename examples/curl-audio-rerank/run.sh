#!/usr/bin/env bash
# Transcription, translation, speech and rerank through Conduit with curl.
# Needs OPENAI_BASE_URL and OPENAI_API_KEY (the two lines `conduit keys create` prints) and
# aliases for an audio model, a speech model and a reranker.
set -euo pipefail
: "${OPENAI_BASE_URL:?run: eval \"\$(conduit keys create demo | grep ^export)\"}"
: "${OPENAI_API_KEY:?}"
AUDIO_MODEL=${AUDIO_MODEL:-whisper-1}
SPEECH_MODEL=${SPEECH_MODEL:-tts-1}
RERANK_MODEL=${RERANK_MODEL:-rerank-v3.5}
auth=(-H "Authorization: Bearer $OPENAI_API_KEY")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# half a second of silence: a 16 kHz mono 16-bit WAV header, then 16,000 zero bytes
{ printf 'RIFF\xa4\x3e\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00data\x80\x3e\x00\x00'
  head -c 16000 /dev/zero; } > "$dir/silence.wav"

echo '== transcription'
curl -fsS "$OPENAI_BASE_URL/audio/transcriptions" "${auth[@]}" \
  -F file=@"$dir/silence.wav" -F model="$AUDIO_MODEL" -F response_format=verbose_json; echo

echo '== translation'
curl -fsS "$OPENAI_BASE_URL/audio/translations" "${auth[@]}" \
  -F file=@"$dir/silence.wav" -F model="$AUDIO_MODEL" -F response_format=text

echo '== speech'
curl -fsS "$OPENAI_BASE_URL/audio/speech" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"model":"'"$SPEECH_MODEL"'","input":"Hello from Conduit.","voice":"alloy"}' -o "$dir/speech.mp3"
echo "speech.mp3: $(wc -c < "$dir/speech.mp3") bytes"

echo '== rerank'
curl -fsS "$OPENAI_BASE_URL/rerank" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"model":"'"$RERANK_MODEL"'","query":"capital of France","top_n":2,"return_documents":true,
  "documents":["Berlin is the capital of Germany","Paris is the capital of France","Bananas are yellow"]}'; echo
