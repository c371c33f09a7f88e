package backend

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/conduit-gw/conduit/internal/notify"
	"github.com/labstack/echo/v4"
)

// NotificationStore is what /admin/notifications reads and marks.
type NotificationStore interface {
	ListNotifications(ctx context.Context, limit int, unreadOnly bool) ([]notify.Notification, error)
	MarkNotificationRead(ctx context.Context, id string) error
	MarkAllNotificationsRead(ctx context.Context) (int64, error)
	UnreadNotifications(ctx context.Context) (int64, error)
}

func (s *Server) listNotifications(c echo.Context) error {
	limit, err := intParam(c, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	unreadOnly := c.QueryParam("unread") == "1" || c.QueryParam("unread") == "true"
	rows, err := s.o.Notifications.ListNotifications(ctx, limit, unreadOnly)
	if err != nil {
		return err
	}
	unread, err := s.o.Notifications.UnreadNotifications(ctx)
	if err != nil {
		return err
	}
	out := list(rows)
	out["unread"] = unread
	return c.JSON(http.StatusOK, out)
}

func (s *Server) readNotification(c echo.Context) error {
	if err := s.o.Notifications.MarkNotificationRead(c.Request().Context(), c.Param("id")); err != nil {
		return storeErr(err, "notification")
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) readAllNotifications(c echo.Context) error {
	n, err := s.o.Notifications.MarkAllNotificationsRead(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true, "marked": n})
}

// heartbeat keeps idle event streams (and proxies in between) alive.
const heartbeat = 15 * time.Second

// events streams live events (notifications, key spend, provider health) as server-sent
// events. A client reconnecting with Last-Event-ID gets what it missed, if still buffered.
func (s *Server) events(c echo.Context) error {
	after := s.o.Bus.LastID()
	if v := c.Request().Header.Get("Last-Event-ID"); v != "" {
		if id, err := strconv.ParseUint(v, 10, 64); err == nil {
			after = id
		}
	} else if v := c.QueryParam("last_event_id"); v != "" {
		if id, err := strconv.ParseUint(v, 10, 64); err == nil {
			after = id
		}
	}
	backlog, ch, cancel := s.o.Bus.Subscribe(after)
	defer cancel()

	w := c.Response()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)
	flush := func() error {
		if err := rc.Flush(); err != nil && err != http.ErrNotSupported {
			return err
		}
		return nil
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n: connected\n\n"); err != nil {
		return nil
	}
	for _, ev := range backlog {
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Kind, ev.Data); err != nil {
			return nil
		}
	}
	if flush() != nil {
		return nil
	}
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	ctx := c.Request().Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-ch:
			if !ok {
				return nil // shutting down
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Kind, ev.Data); err != nil {
				return nil
			}
		case <-t.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return nil
			}
		}
		if flush() != nil {
			return nil
		}
	}
}
