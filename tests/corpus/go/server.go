// Package kv is a small key-value HTTP service with TTLs, a write-ahead log and graceful shutdown.
package kv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned when a key does not exist or has expired.
var ErrNotFound = errors.New("not found")

type entry struct {
	value   []byte
	expires time.Time
}

func (e entry) expired(now time.Time) bool {
	return !e.expires.IsZero() && now.After(e.expires)
}

// Store is a concurrency-safe map with optional expiry.
type Store struct {
	mu      sync.RWMutex
	data    map[string]entry
	now     func() time.Time
	log     io.Writer
	metrics *Metrics
}

// NewStore creates an empty store that appends every write to log (if not nil).
func NewStore(log io.Writer) *Store {
	return &Store{data: make(map[string]entry), now: time.Now, log: log, metrics: &Metrics{}}
}

func (s *Store) Get(key string) ([]byte, error) {
	s.mu.RLock()
	e, ok := s.data[key]
	s.mu.RUnlock()
	if !ok || e.expired(s.now()) {
		s.metrics.misses.Add(1)
		return nil, ErrNotFound
	}
	s.metrics.hits.Add(1)
	return e.value, nil
}

func (s *Store) Set(key string, value []byte, ttl time.Duration) error {
	if key == "" {
		return errors.New("empty key")
	}
	var expires time.Time
	if ttl > 0 {
		expires = s.now().Add(ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log != nil {
		record := fmt.Sprintf("SET %s %d %s\n", strconv.Quote(key), ttl.Milliseconds(), strconv.Quote(string(value)))
		if _, err := io.WriteString(s.log, record); err != nil {
			return fmt.Errorf("write log: %w", err)
		}
	}
	s.data[key] = entry{value: value, expires: expires}
	return nil
}

func (s *Store) Delete(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.data[key]
	if ok {
		delete(s.data, key)
		if s.log != nil {
			fmt.Fprintf(s.log, "DEL %s\n", strconv.Quote(key))
		}
	}
	return ok
}

// Keys lists live keys with the given prefix, sorted.
func (s *Store) Keys(prefix string, limit int) []string {
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := make([]string, 0, len(s.data))
	for k, e := range s.data {
		if strings.HasPrefix(k, prefix) && !e.expired(now) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	return keys
}

// Sweep removes expired entries and returns how many it removed.
func (s *Store) Sweep() int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := 0
	for k, e := range s.data {
		if e.expired(now) {
			delete(s.data, k)
			removed++
		}
	}
	return removed
}

// Replay rebuilds the store from a log written by Set and Delete.
func (s *Store) Replay(r io.Reader) (int, error) {
	scanner := bufio.NewScanner(r)
	lines := 0
	for scanner.Scan() {
		lines++
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, rest, found := strings.Cut(line, " ")
		if !found {
			return lines, fmt.Errorf("line %d: no operands", lines)
		}
		switch op {
		case "SET":
			fields, err := splitQuoted(rest)
			if err != nil || len(fields) != 3 {
				return lines, fmt.Errorf("line %d: bad SET", lines)
			}
			ms, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return lines, fmt.Errorf("line %d: bad ttl: %w", lines, err)
			}
			var expires time.Time
			if ms > 0 {
				expires = s.now().Add(time.Duration(ms) * time.Millisecond)
			}
			s.data[fields[0]] = entry{value: []byte(fields[2]), expires: expires}
		case "DEL":
			key, err := strconv.Unquote(rest)
			if err != nil {
				return lines, fmt.Errorf("line %d: bad key", lines)
			}
			delete(s.data, key)
		default:
			return lines, fmt.Errorf("line %d: unknown operation %q", lines, op)
		}
	}
	return lines, scanner.Err()
}

func splitQuoted(s string) ([]string, error) {
	var out []string
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		if s[0] == '"' {
			prefix, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, err
			}
			value, _ := strconv.Unquote(prefix)
			out = append(out, value)
			s = s[len(prefix):]
			continue
		}
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out, nil
}

// Handler serves GET/PUT/DELETE /kv/{key} and GET /kv?prefix=.
type Handler struct {
	Store   *Store
	MaxBody int64
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/kv/")
	if r.URL.Path == "/kv" || r.URL.Path == "/kv/" {
		h.list(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		value, err := h.Store.Get(key)
		if errors.Is(err, ErrNotFound) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if r.Method == http.MethodGet {
			w.Write(value)
		}
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, h.MaxBody+1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if int64(len(body)) > h.MaxBody {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		ttl, err := parseTTL(r.URL.Query().Get("ttl"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := h.Store.Set(key, body, ttl); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		if !h.Store.Delete(key) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n <= 0 {
			http.Error(w, "bad limit", http.StatusBadRequest)
			return
		}
		limit = n
	}
	keys := h.Store.Keys(r.URL.Query().Get("prefix"), limit)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": keys, "count": len(keys)})
}

func parseTTL(raw string) (time.Duration, error) {
	if raw == "" {
		return 0, nil
	}
	if seconds, err := strconv.Atoi(raw); err == nil {
		if seconds < 0 {
			return 0, errors.New("negative ttl")
		}
		return time.Duration(seconds) * time.Second, nil
	}
	return time.ParseDuration(raw)
}

// Run serves until ctx is cancelled, sweeping expired keys every interval.
func Run(ctx context.Context, addr string, store *Store, interval time.Duration) error {
	server := &http.Server{Addr: addr, Handler: &Handler{Store: store, MaxBody: 1 << 20}}
	errs := make(chan error, 1)
	go func() {
		if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- err
		}
		close(errs)
	}()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if n := store.Sweep(); n > 0 {
				fmt.Fprintf(os.Stderr, "swept %d keys\n", n)
			}
		case err, ok := <-errs:
			if ok {
				return err
			}
			return nil
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return server.Shutdown(shutdown)
		}
	}
}
