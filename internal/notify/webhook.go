package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

type hookJob struct {
	url string
	n   Notification
}

// webhookLoop delivers the queued webhooks one at a time, so a slow receiver only ever
// delays other webhooks, never Notify or the bus.
func (s *Service) webhookLoop() {
	defer s.workers.Done()
	for job := range s.hooks {
		if s.ctx.Err() != nil {
			s.log.Warn("notify: webhook not sent: shutting down", "id", job.n.ID)
			continue
		}
		s.deliver(job)
	}
}

// deliver POSTs the notification as JSON, retrying connection errors, timeouts, 408, 429 and
// 5xx responses with backoff; other 4xx responses are final.
func (s *Service) deliver(job hookJob) {
	body, err := json.Marshal(job.n)
	if err != nil {
		s.log.Error("notify: webhook payload", "id", job.n.ID, "err", err)
		return
	}
	attempts := 0
	for i := 0; i <= len(s.hookBackoff); i++ {
		if i > 0 {
			if err := s.sleep(s.ctx, s.hookBackoff[i-1]); err != nil {
				break
			}
		}
		attempts++
		var retry bool
		if retry, err = s.post(job.url, body); err == nil {
			return
		}
		if !retry {
			break
		}
	}
	s.log.Warn("notify: webhook delivery failed", "id", job.n.ID,
		"webhook", redactURL(job.url), "attempts", attempts, "err", err)
}

func (s *Service) post(target string, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.hookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "conduit-notify")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its message holds the whole URL: keep tokens out of logs
			err = ue.Err
		}
		return s.ctx.Err() == nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusRequestTimeout ||
		resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return retry, fmt.Errorf("webhook answered %s", resp.Status)
}

// redactURL keeps only the scheme and host: webhook paths and queries often hold tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid url)"
	}
	return u.Scheme + "://" + u.Host
}
