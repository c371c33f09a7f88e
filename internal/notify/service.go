package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conduit-gw/conduit/internal/config"
	"github.com/conduit-gw/conduit/internal/ids"
	"github.com/conduit-gw/conduit/internal/wait"
)

// Store persists notifications (the SQLite store implements it).
type Store interface {
	InsertNotifications(ctx context.Context, ns []Notification) error
	ListNotifications(ctx context.Context, limit int, unreadOnly bool) ([]Notification, error)
}

// DesktopNotifier shows a desktop notification (the desktop app implements it with beeep).
type DesktopNotifier interface {
	Notify(title, body string) error
}

// Options wire a Service. Everything but Settings may be nil (Settings too: then the documented
// defaults apply).
type Options struct {
	Bus        *Bus
	Store      Store
	Settings   func() config.Settings
	Desktop    DesktopNotifier // nil in headless mode
	HTTPClient *http.Client    // for the webhook (default: a plain client)
	Logger     *slog.Logger
	Now        func() time.Time

	// Sleep waits between webhook and store retries (default: a timer honouring ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// WebhookTimeout bounds one webhook POST (default 5 s).
	WebhookTimeout time.Duration
	// WebhookBackoff are the waits before the 2nd, 3rd, … attempt (default 0.5 s, 1 s:
	// three attempts in all).
	WebhookBackoff []time.Duration
	// WebhookQueue is the capacity of the webhook queue (default 100); beyond it deliveries
	// are dropped and logged.
	WebhookQueue int
	// MaxPending bounds the notifications waiting for the store (default 10000).
	MaxPending int
	// Claim, for instances sharing one database, stores a notification that has a Dedupe key
	// unless one with that key is stored already, and reports whether it did: only the
	// instance that claims a notification delivers it (store, desktop, webhook, events), so
	// each fires once across the cluster. Nil: every notification is delivered here.
	Claim func(ctx context.Context, n Notification) (bool, error)
	// FlipHealth, for instances sharing one database, records a provider's change of health
	// in the shared state and reports whether this call changed it: only the instance that
	// flips the shared state raises the provider_health notification. With minAge > 0 it
	// brings a down state back up only once it is that old. Nil: every change observed here
	// is notified.
	FlipHealth func(ctx context.Context, providerID string, up bool, at time.Time, minAge time.Duration) (bool, error)
}

const (
	restoreLimit     = 1000
	storeBatch       = 500
	storeAttempts    = 3
	storeTimeout     = 10 * time.Second
	desktopQueue     = 32
	dedupeFirstStart = "system:first_start"
)

// Service raises notifications and delivers them to the store, the bus, the desktop and the
// webhook. Notify never blocks on a sink. Safe for concurrent use.
type Service struct {
	bus         *Bus
	store       Store
	settings    func() config.Settings
	desktop     DesktopNotifier
	client      *http.Client
	log         *slog.Logger
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
	hookTimeout time.Duration
	hookBackoff []time.Duration
	maxPending  int
	claim       func(context.Context, Notification) (bool, error)
	flipHealth  func(context.Context, string, bool, time.Time, time.Duration) (bool, error)
	flips       chan healthFlip // health changes waiting for the shared state (with flipHealth)

	ctx      context.Context // cancelled when Close gives up waiting
	cancel   context.CancelFunc
	workers  sync.WaitGroup // store writer and webhook sender
	deskDone chan struct{}  // closed when the desktop worker ends (nil without Desktop)

	mu      sync.Mutex
	closed  bool
	pending []Notification
	wake    chan struct{} // capacity 1: "pending is not empty"
	stop    chan struct{}
	hooks   chan hookJob
	desk    chan Notification

	desktopFailing atomic.Bool

	dmu            sync.Mutex
	restored       map[string]struct{}
	restoredBudget map[string]int // budget dedupe base → highest percent notified
	firstStarted   bool

	budget  *BudgetWatcher
	expiry  *ExpiryScanner
	health  *HealthWatcher
	anomaly *AnomalyDetector
}

// NewService starts the service's goroutines; stop them with Close.
func NewService(opts Options) *Service {
	s := &Service{
		bus:            opts.Bus,
		store:          opts.Store,
		settings:       opts.Settings,
		desktop:        opts.Desktop,
		client:         opts.HTTPClient,
		log:            opts.Logger,
		now:            opts.Now,
		sleep:          opts.Sleep,
		hookTimeout:    opts.WebhookTimeout,
		hookBackoff:    opts.WebhookBackoff,
		maxPending:     opts.MaxPending,
		claim:          opts.Claim,
		flipHealth:     opts.FlipHealth,
		wake:           make(chan struct{}, 1),
		stop:           make(chan struct{}),
		restored:       make(map[string]struct{}),
		restoredBudget: make(map[string]int),
	}
	if s.settings == nil {
		s.settings = config.DefaultSettings
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = wait.Sleep
	}
	if s.hookTimeout <= 0 {
		s.hookTimeout = 5 * time.Second
	}
	if s.hookBackoff == nil {
		s.hookBackoff = []time.Duration{500 * time.Millisecond, time.Second}
	}
	if s.maxPending <= 0 {
		s.maxPending = 10000
	}
	queue := opts.WebhookQueue
	if queue <= 0 {
		queue = 100
	}
	s.hooks = make(chan hookJob, queue)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.budget = &BudgetWatcher{svc: s, state: make(map[string]budgetState),
		spentAt: make(map[string]time.Time), spendNext: make(map[string]KeySpend)}
	s.expiry = &ExpiryScanner{svc: s, state: make(map[string]expiryState)}
	s.health = &HealthWatcher{svc: s, state: make(map[string]*healthState)}
	s.anomaly = &AnomalyDetector{svc: s, keys: make(map[string]*keySeries),
		fired: make(map[string]string)}

	s.workers.Add(2)
	go s.storeLoop()
	go s.webhookLoop()
	if s.flipHealth != nil {
		s.flips = make(chan healthFlip, flipQueue)
		s.workers.Add(1)
		go s.flipLoop()
	}
	if s.desktop != nil {
		s.desk = make(chan Notification, desktopQueue)
		s.deskDone = make(chan struct{})
		go s.desktopLoop()
	}
	return s
}

// Budget returns the budget threshold trigger.
func (s *Service) Budget() *BudgetWatcher { return s.budget }

// Expiry returns the key expiry trigger.
func (s *Service) Expiry() *ExpiryScanner { return s.expiry }

// Health returns the provider health trigger.
func (s *Service) Health() *HealthWatcher { return s.health }

// Anomaly returns the usage anomaly trigger.
func (s *Service) Anomaly() *AnomalyDetector { return s.anomaly }

// Notify fills in the ID ("ntf_…"), the time (now, UTC, millisecond precision) and the
// severity (info) when empty, queues the notification for the store, publishes it on the bus
// and hands it to the desktop and webhook sinks as the current settings say. It never blocks
// on a sink (with Options.Claim, a notification with a Dedupe key waits for its claim, one
// database statement), and returns the notification as stored.
func (s *Service) Notify(n Notification) Notification {
	if n.ID == "" {
		n.ID = ids.New("ntf")
	}
	if n.Time.IsZero() {
		n.Time = s.now()
	}
	n.Time = n.Time.UTC().Truncate(time.Millisecond)
	if n.Severity == "" {
		n.Severity = SeverityInfo
	}
	claimed, deliver := s.claimed(n)
	if !deliver {
		return n
	}
	set := s.settings()

	var storeFull, deskFull, hookFull bool
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.log.Warn("notify: notification after Close not delivered", "type", n.Type,
			"title", n.Title)
		return n
	}
	if s.store != nil && !claimed {
		if len(s.pending) >= s.maxPending {
			storeFull = true
		} else {
			s.pending = append(s.pending, n)
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
	if set.NotifyDesktop && s.desk != nil {
		select {
		case s.desk <- n:
		default:
			deskFull = true
		}
	}
	if set.NotifyWebhookURL != "" {
		select {
		case s.hooks <- hookJob{url: set.NotifyWebhookURL, n: n}:
		default:
			hookFull = true
		}
	}
	s.mu.Unlock()

	if storeFull {
		s.log.Error("notify: store queue full, notification not stored", "id", n.ID,
			"title", n.Title)
	}
	if deskFull {
		s.log.Warn("notify: desktop queue full, notification not shown", "id", n.ID)
	}
	if hookFull {
		s.log.Warn("notify: webhook queue full, notification not sent", "id", n.ID,
			"webhook", redactURL(set.NotifyWebhookURL))
	}
	s.publish(KindNotification, n)
	return n
}

// claimTimeout bounds a claim (one statement); a failed claim delivers the notification here.
const claimTimeout = 2 * time.Second

// claimed claims n when claims are on and n has a Dedupe key: claimed is true when the claim
// stored it, deliver is false when another instance claimed it first.
func (s *Service) claimed(n Notification) (claimed, deliver bool) {
	if s.claim == nil || n.Dedupe == "" {
		return false, true
	}
	ctx, cancel := context.WithTimeout(s.ctx, claimTimeout)
	defer cancel()
	won, err := s.claim(ctx, n)
	switch {
	case err != nil:
		s.log.Warn("notify: could not claim a notification; delivering it from here", "dedupe", n.Dedupe, "err", err)
		return false, true
	case !won:
		s.log.Debug("notify: notification delivered by another instance", "dedupe", n.Dedupe)
		return false, false
	}
	return true, true
}

// FirstStart raises the one "Conduit is running" notification; hint should say where the
// master key is and its prefix, never the whole key. Later calls, in this run or (after
// Restore) a later one, do nothing.
func (s *Service) FirstStart(hint string) {
	s.dmu.Lock()
	_, done := s.restored[dedupeFirstStart]
	if done || s.firstStarted {
		s.dmu.Unlock()
		return
	}
	s.firstStarted = true
	s.dmu.Unlock()
	body := "Conduit started for the first time."
	if hint = strings.TrimSpace(hint); hint != "" {
		body += " " + hint
	}
	s.Notify(Notification{Type: TypeSystem, Severity: SeverityInfo, Title: "Conduit is running",
		Body: body, Dedupe: dedupeFirstStart})
}

// Restore reads the last 1000 stored notifications so that what fired before a restart
// (budget thresholds, expiry warnings, anomalies, the first start) does not fire again. Call
// it once at start, before feeding the triggers.
func (s *Service) Restore(ctx context.Context) error {
	if s.store == nil {
		return nil
	}
	list, err := s.store.ListNotifications(ctx, restoreLimit, false)
	if err != nil {
		return fmt.Errorf("notify: restore: %w", err)
	}
	s.dmu.Lock()
	defer s.dmu.Unlock()
	for _, n := range list {
		if n.Dedupe == "" {
			continue
		}
		s.restored[n.Dedupe] = struct{}{}
		if base, pct, ok := splitBudgetDedupe(n.Dedupe); ok && pct > s.restoredBudget[base] {
			s.restoredBudget[base] = pct
		}
	}
	return nil
}

// wasRestored reports whether a notification with this dedupe key was stored before Restore.
func (s *Service) wasRestored(dedupe string) bool {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	_, ok := s.restored[dedupe]
	return ok
}

// restoredBudgetPercent is the highest threshold restored for a budget dedupe base.
func (s *Service) restoredBudgetPercent(base string) int {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.restoredBudget[base]
}

// Close stops accepting notifications, flushes the store queue, delivers the queued webhooks
// and desktop notifications, and stops the goroutines. If ctx ends first, in-flight work is
// cancelled, what is left is dropped (and logged) and ctx's error is returned.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	close(s.hooks)
	if s.desk != nil {
		close(s.desk)
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.workers.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancel()
		<-done // the workers give up promptly once s.ctx is cancelled
	}
	if s.deskDone != nil {
		select {
		case <-s.deskDone:
		case <-ctx.Done(): // a desktop call cannot be cancelled: leave it behind
			if err == nil {
				err = ctx.Err()
			}
		}
	}
	s.cancel()
	return err
}

func (s *Service) publish(kind string, data any) {
	if s.bus != nil {
		s.bus.Publish(kind, data)
	}
}

func (s *Service) storeLoop() {
	defer s.workers.Done()
	for {
		select {
		case <-s.wake:
			s.flush()
		case <-s.stop:
			s.flush() // no more appends once closed: this drains everything
			return
		}
	}
}

// flush writes everything pending, in batches.
func (s *Service) flush() {
	for {
		s.mu.Lock()
		batch := s.pending
		s.pending = nil
		s.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		for len(batch) > 0 {
			chunk := batch[:min(len(batch), storeBatch)]
			batch = batch[len(chunk):]
			s.insert(chunk)
		}
	}
}

func (s *Service) insert(batch []Notification) {
	var err error
	for attempt := range storeAttempts {
		if attempt > 0 {
			if s.sleep(s.ctx, time.Duration(attempt)*200*time.Millisecond) != nil {
				break
			}
		}
		ctx, cancel := context.WithTimeout(s.ctx, storeTimeout)
		err = s.store.InsertNotifications(ctx, batch)
		cancel()
		if err == nil || s.ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		s.log.Error("notify: notifications not stored", "count", len(batch), "err", err)
	}
}

func (s *Service) desktopLoop() {
	defer close(s.deskDone)
	for n := range s.desk {
		if s.ctx.Err() != nil {
			continue
		}
		if err := s.desktop.Notify(n.Title, n.Body); err != nil {
			// Logged once per failure streak, not per notification.
			if s.desktopFailing.CompareAndSwap(false, true) {
				s.log.Warn("notify: desktop notification failed", "err", err)
			}
		} else {
			s.desktopFailing.Store(false)
		}
	}
}

// splitBudgetDedupe splits "budget:<key>:<period>:<budget>:<percent>" into its base (all but
// the percent) and the percent.
func splitBudgetDedupe(d string) (base string, pct int, ok bool) {
	if !strings.HasPrefix(d, budgetDedupePrefix) {
		return "", 0, false
	}
	i := strings.LastIndexByte(d, ':')
	pct, err := strconv.Atoi(d[i+1:])
	if err != nil || pct <= 0 {
		return "", 0, false
	}
	return d[:i], pct, true
}
