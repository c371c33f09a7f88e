package llm

import "testing"

func TestEncode(t *testing.T) {
	b, err := Encode(map[string]string{"text": "<b>a & b</b>\n"})
	if err != nil || string(b) != `{"text":"<b>a & b</b>\n"}` {
		t.Errorf("%s, %v", b, err)
	}
	if _, err := Encode(func() {}); err == nil {
		t.Error("a func encoded")
	}
}
