package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/tidwall/gjson"

	"github.com/conduit-gw/conduit/internal/fakeopenai"
	"github.com/conduit-gw/conduit/internal/wav"
)

// sineWAV is ms milliseconds of a 440 Hz tone as a 16 kHz mono 16-bit WAV file.
func sineWAV(ms int) []byte {
	const rate = 16000
	s := make([]int16, rate*ms/1000)
	for i := range s {
		s[i] = int16(12000 * math.Sin(2*math.Pi*440*float64(i)/rate))
	}
	return wav.PCM16(s, rate)
}

// audioForm is a transcription upload as a client builds it, with its Content-Type.
func audioForm(t *testing.T, fields map[string]string, file []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		p, err := w.CreateFormFile("file", "tone.wav")
		if err != nil {
			t.Fatal(err)
		}
		p.Write(file)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// postForm posts a multipart body to the client API with key.
func (e *env) postForm(key, path, ctype string, body []byte) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

// TestAudioThroughSDK: transcriptions, translations and speech through the official OpenAI SDK
// reach the alias's deployment (a real multipart upload with the model replaced; speech bytes
// streamed back unchanged), are priced per second of audio and per character, logged, and
// refused in OpenAI's shape.
func TestAudioThroughSDK(t *testing.T) {
	e := newEnv(t)
	pid, _ := e.setup()
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "whisper", "provider_id": pid, "provider_model": "whisper-1"})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "tts", "provider_id": pid, "provider_model": "tts-1"})
	e.mustAdmin(201, "POST", "/admin/costs", map[string]any{"model_pattern": "whisper-1", "input_per_mtok": 0, "output_per_mtok": 0, "per_second": 0.01})
	e.mustAdmin(201, "POST", "/admin/costs", map[string]any{"model_pattern": "tts-1", "input_per_mtok": 0, "output_per_mtok": 0, "per_1k_chars": 1})
	key := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "audio", "allowed_models": []string{"whisper", "tts"}})["key"].(string)
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0))
	ctx := context.Background()
	tone := sineWAV(400)

	tr, err := client.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
		File: openai.File(bytes.NewReader(tone), "tone.wav", "audio/wav"), Model: "whisper",
		Language: openai.String("fr"), Prompt: openai.String("a greeting"), Temperature: openai.Float(0.2),
	})
	if err != nil || tr.Text != fakeopenai.Transcript {
		t.Fatalf("transcription: %v %+v", err, tr)
	}
	up := lastUpstream(t, e, "/v1/audio/transcriptions")
	if up.form["model"] != "whisper-1" || up.form["language"] != "fr" || up.form["prompt"] != "a greeting" || up.form["temperature"] != "0.2" ||
		!bytes.Equal(up.file, tone) || up.fileName != "tone.wav" || up.fileType != "audio/wav" {
		t.Fatalf("upstream form %v, file %d bytes %q %q", up.form, len(up.file), up.fileName, up.fileType)
	}

	verbose, err := client.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
		File: openai.File(bytes.NewReader(tone), "tone.wav", "audio/wav"), Model: "whisper",
		ResponseFormat: openai.AudioResponseFormatVerboseJSON,
	})
	if err != nil || verbose.Duration != 0.4 || verbose.Text != fakeopenai.Transcript {
		t.Fatalf("verbose_json: %v %+v", err, verbose)
	}

	//lint:ignore SA1019 the SDK marks translations deprecated; OpenAI still serves them and so does Conduit
	tl, err := client.Audio.Translations.New(ctx, openai.AudioTranslationNewParams{
		File: openai.File(bytes.NewReader(tone), "tone.wav", "audio/wav"), Model: "whisper",
	})
	if err != nil || tl.Text != fakeopenai.Translation {
		t.Fatalf("translation: %v %+v", err, tl)
	}
	if up := lastUpstream(t, e, "/v1/audio/translations"); up.form["model"] != "whisper-1" {
		t.Fatalf("translation upstream form %v", up.form)
	}

	// text formats come back as text
	ctype, body := audioForm(t, map[string]string{"model": "whisper", "response_format": "srt"}, tone)
	r, out := e.postForm(key, "/v1/audio/transcriptions", ctype, body)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") ||
		string(out) != "1\n00:00:00,000 --> 00:00:00.400\n"+fakeopenai.Transcript+"\n" || r.Header.Get("x-conduit-provider") != "fake" {
		t.Fatalf("srt: %d %v %q", r.StatusCode, r.Header, out)
	}

	speech, err := client.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{
		Model: "tts", Input: "Bonjour à tous", Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")},
	})
	if err != nil {
		t.Fatal(err)
	}
	audio, err := io.ReadAll(speech.Body)
	speech.Body.Close()
	if err != nil || !bytes.Equal(audio, fakeopenai.SpeechAudio("Bonjour à tous")) || speech.Header.Get("Content-Type") != "audio/mpeg" ||
		speech.Header.Get("x-conduit-provider") != "fake" {
		t.Fatalf("speech: %v, %d bytes, %v", err, len(audio), speech.Header)
	}
	if up := lastUpstream(t, e, "/v1/audio/speech"); up.json.Get("model").Str != "tts-1" || up.json.Get("voice").Str != "alloy" {
		t.Fatalf("speech upstream %s", up.json.Raw)
	}

	// four transcriptions of 0.4 s at 0.01 per second; 14 characters at 1 per thousand
	costs := map[string][]float64{}
	for _, l := range e.requestLogs(5) {
		if l["status"] == float64(200) {
			costs[l["endpoint"].(string)] = append(costs[l["endpoint"].(string)], math.Round(l["cost"].(float64)*1e9)/1e9)
		}
	}
	if want := "map[audio/speech:[0.014] audio/transcriptions:[0.004 0.004 0.004] audio/translations:[0.004]]"; fmt.Sprint(costs) != want {
		t.Fatalf("costs %v, want %s", costs, want)
	}
}

// upstreamAudio is what the fake upstream received for an audio request.
type upstreamAudio struct {
	form               map[string]string
	file               []byte
	fileName, fileType string
	json               gjson.Result
}

func lastUpstream(t *testing.T, e *env, path string) upstreamAudio {
	t.Helper()
	reqs := e.fake.Requests()
	last := reqs[len(reqs)-1]
	if last.Path != path {
		t.Fatalf("upstream path %s, want %s", last.Path, path)
	}
	out := upstreamAudio{form: map[string]string{}, json: gjson.ParseBytes(last.Raw)}
	ct := last.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "multipart/form-data") {
		return out
	}
	_, params, _ := strings.Cut(ct, "boundary=")
	mr := multipart.NewReader(bytes.NewReader(last.Raw), params)
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		if p.FormName() == "file" {
			out.file, out.fileName, out.fileType = b, p.FileName(), p.Header.Get("Content-Type")
		} else {
			out.form[p.FormName()] = string(b)
		}
	}
	return out
}

// TestSpeechFailures: a failure before the first audio byte is retried out of the client's
// sight; a cut after it breaks the client's connection (never a clean, short file), is logged
// as an error and costs nothing.
func TestSpeechFailures(t *testing.T) {
	e := newEnv(t)
	pid, key := e.setup()
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "tts", "provider_id": pid, "provider_model": "tts-1"})
	req := map[string]any{"model": "tts", "input": "hello", "voice": "alloy"}

	e.fake.Set(fakeopenai.Script{FailStatus: 500, FailTimes: 1})
	r, out := e.v1(key, "/v1/audio/speech", req)
	if r.StatusCode != 200 || !bytes.Equal(out, fakeopenai.SpeechAudio("hello")) {
		t.Fatalf("after a retried 500: %d, %d bytes", r.StatusCode, len(out))
	}

	e.fake.Set(fakeopenai.Script{CutAfter: 2})
	body, _ := json.Marshal(req)
	hreq, _ := http.NewRequest("POST", e.url+"/v1/audio/speech", bytes.NewReader(body))
	hreq.Header.Set("Authorization", "Bearer "+key)
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil || len(got) >= len(fakeopenai.SpeechAudio("hello")) {
		t.Fatalf("cut stream: status %d, %d bytes, read error %v (want an error)", resp.StatusCode, len(got), err)
	}
	logs := e.requestLogs(2)
	if cut := logs[0]; cut["endpoint"] != "audio/speech" || cut["status"] == float64(200) || cut["cost"] != float64(0) {
		t.Fatalf("cut speech logged as %v", cut)
	}
}

// TestAudioRefused: bad uploads, disallowed models, providers without audio and the key's
// limits are refused before any upstream call, in OpenAI's error shape.
func TestAudioRefused(t *testing.T) {
	e := newEnv(t)
	pid, key := e.setup()
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "whisper", "provider_id": pid, "provider_model": "whisper-1"})
	mp := e.mustAdmin(201, "POST", "/admin/providers", map[string]any{"name": "mistral", "type": "mistral", "base_url": e.fakeURL, "api_key": testProviderKey})
	e.mustAdmin(201, "POST", "/admin/models", map[string]any{"alias": "no-audio", "provider_id": mp["id"], "provider_model": "whisper-1"})
	restricted := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "chat only", "allowed_models": []string{"gpt*"}})["key"].(string)
	tone := sineWAV(200)

	form := func(fields map[string]string, file []byte) func() (string, []byte) {
		return func() (string, []byte) { return audioForm(t, fields, file) }
	}
	for _, c := range []struct {
		name   string
		key    string
		path   string
		body   func() (string, []byte)
		status int
		code   string
		param  string
	}{
		{"no file", key, "/v1/audio/transcriptions", form(map[string]string{"model": "whisper"}, nil), 400, "invalid_request", "file"},
		{"no model", key, "/v1/audio/translations", form(map[string]string{}, tone), 400, "invalid_request", "model"},
		{"bad response_format", key, "/v1/audio/transcriptions", form(map[string]string{"model": "whisper", "response_format": "mp3"}, tone), 400, "invalid_request", "response_format"},
		{"bad temperature", key, "/v1/audio/transcriptions", form(map[string]string{"model": "whisper", "temperature": "hot"}, tone), 400, "invalid_request", "temperature"},
		{"not multipart", key, "/v1/audio/transcriptions", func() (string, []byte) { return "application/json", []byte(`{"model":"whisper"}`) }, 400, "invalid_request", ""},
		{"not allowed", restricted, "/v1/audio/transcriptions", form(map[string]string{"model": "whisper"}, tone), 403, "model_not_allowed", ""},
		{"unknown model", key, "/v1/audio/transcriptions", form(map[string]string{"model": "nope"}, tone), 404, "model_not_found", ""},
		{"provider without audio", key, "/v1/audio/transcriptions", form(map[string]string{"model": "no-audio"}, tone), 400, "invalid_request", "model"},
		{"too large", key, "/v1/audio/transcriptions", form(map[string]string{"model": "whisper"}, make([]byte, 25<<20)), 413, "invalid_request", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.fake.Served()
			ctype, body := c.body()
			r, out := e.postForm(c.key, c.path, ctype, body)
			if r.StatusCode != c.status || errorCode(t, out) != c.code || gjson.GetBytes(out, "error.param").Str != c.param {
				t.Fatalf("%d %s", r.StatusCode, out)
			}
			if e.fake.Served() != before {
				t.Fatal("refused request reached the upstream")
			}
		})
	}
	for _, c := range []struct {
		name  string
		body  map[string]any
		param string
	}{
		{"speech without input", map[string]any{"model": "whisper", "voice": "alloy"}, "input"},
		{"speech input too long", map[string]any{"model": "whisper", "voice": "alloy", "input": strings.Repeat("é", 4097)}, "input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, out := e.v1(key, "/v1/audio/speech", c.body)
			if r.StatusCode != 400 || gjson.GetBytes(out, "error.param").Str != c.param {
				t.Fatalf("%d %s", r.StatusCode, out)
			}
		})
	}

	// the key's request limit applies to uploads too
	limited := e.mustAdmin(201, "POST", "/admin/keys", map[string]any{"name": "one", "rpm": 1})["key"].(string)
	ctype, body := audioForm(t, map[string]string{"model": "whisper"}, tone)
	if r, out := e.postForm(limited, "/v1/audio/transcriptions", ctype, body); r.StatusCode != 200 {
		t.Fatalf("first: %d %s", r.StatusCode, out)
	}
	if r, out := e.postForm(limited, "/v1/audio/transcriptions", ctype, body); r.StatusCode != 429 || errorCode(t, out) != "rate_limit_exceeded" {
		t.Fatalf("second: %d %s", r.StatusCode, out)
	}
}
