package kv

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Metrics counts cache hits and misses and keeps a latency histogram.
type Metrics struct {
	hits    atomic.Int64
	misses  atomic.Int64
	mu      sync.Mutex
	buckets [16]int64
	samples []float64
}

// Observe records one request latency.
func (m *Metrics) Observe(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ms := float64(d) / float64(time.Millisecond)
	bucket := 0
	for limit := 1.0; bucket < len(m.buckets)-1 && ms > limit; limit *= 2 {
		bucket++
	}
	m.buckets[bucket]++
	if len(m.samples) < 10000 {
		m.samples = append(m.samples, ms)
	} else {
		m.samples[int(m.buckets[bucket])%len(m.samples)] = ms
	}
}

// Percentile returns the p-th percentile (0-100) of the sampled latencies.
func (m *Metrics) Percentile(p float64) float64 {
	m.mu.Lock()
	sorted := append([]float64(nil), m.samples...)
	m.mu.Unlock()
	if len(sorted) == 0 {
		return math.NaN()
	}
	sort.Float64s(sorted)
	rank := p / 100 * float64(len(sorted)-1)
	low := int(math.Floor(rank))
	high := int(math.Ceil(rank))
	if low == high {
		return sorted[low]
	}
	return sorted[low] + (sorted[high]-sorted[low])*(rank-float64(low))
}

// HitRatio is hits / (hits + misses), or 0 without traffic.
func (m *Metrics) HitRatio() float64 {
	hits, misses := m.hits.Load(), m.misses.Load()
	if hits+misses == 0 {
		return 0
	}
	return float64(hits) / float64(hits+misses)
}

// Render writes the metrics in the Prometheus text format.
func (m *Metrics) Render(prefix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s_hits_total %d\n", prefix, m.hits.Load())
	fmt.Fprintf(&b, "%s_misses_total %d\n", prefix, m.misses.Load())
	m.mu.Lock()
	defer m.mu.Unlock()
	var cumulative int64
	for i, count := range m.buckets {
		cumulative += count
		le := "+Inf"
		if i < len(m.buckets)-1 {
			le = fmt.Sprintf("%g", math.Pow(2, float64(i)))
		}
		fmt.Fprintf(&b, "%s_latency_bucket{le=%q} %d\n", prefix, le, cumulative)
	}
	return b.String()
}

// RateLimiter is a token bucket.
type RateLimiter struct {
	mu       sync.Mutex
	rate     float64
	burst    float64
	tokens   float64
	last     time.Time
	clock    func() time.Time
	waiting  int
	maxQueue int
}

func NewRateLimiter(rate float64, burst int, clock func() time.Time) *RateLimiter {
	if clock == nil {
		clock = time.Now
	}
	return &RateLimiter{rate: rate, burst: float64(burst), tokens: float64(burst), last: clock(), clock: clock, maxQueue: 100}
}

func (r *RateLimiter) refill(now time.Time) {
	elapsed := now.Sub(r.last).Seconds()
	if elapsed <= 0 {
		return
	}
	r.tokens = math.Min(r.burst, r.tokens+elapsed*r.rate)
	r.last = now
}

// Allow takes n tokens if available.
func (r *RateLimiter) Allow(n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refill(r.clock())
	if float64(n) > r.tokens {
		return false
	}
	r.tokens -= float64(n)
	return true
}

// Wait blocks until a token is available or the queue is full.
func (r *RateLimiter) Wait(timeout time.Duration) error {
	deadline := r.clock().Add(timeout)
	r.mu.Lock()
	if r.waiting >= r.maxQueue {
		r.mu.Unlock()
		return fmt.Errorf("rate limiter queue full (%d waiting)", r.waiting)
	}
	r.waiting++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.waiting--
		r.mu.Unlock()
	}()
	for {
		if r.Allow(1) {
			return nil
		}
		now := r.clock()
		if now.After(deadline) {
			return fmt.Errorf("timed out after %s", timeout)
		}
		time.Sleep(time.Duration(float64(time.Second) / r.rate))
	}
}

// Shape describes a value for the debugging endpoint.
func Shape(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return fmt.Sprintf("string(%d)", len(x))
	case []byte:
		return fmt.Sprintf("bytes(%d)", len(x))
	case int, int32, int64:
		return "integer"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "object{" + strings.Join(keys, ",") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = Shape(item)
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// Fanout runs fn for every item on at most workers goroutines and collects the errors.
func Fanout[T any](items []T, workers int, fn func(T) error) []error {
	if workers <= 0 {
		workers = 1
	}
	jobs := make(chan int)
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				errs[i] = fn(items[i])
			}
		}()
	}
	for i := range items {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	return failed
}

// Retry calls fn until it succeeds, doubling the pause each time.
func Retry(attempts int, pause time.Duration, fn func() error) (err error) {
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil {
			return nil
		}
		if attempt >= attempts {
			break
		}
		time.Sleep(pause)
		pause *= 2
	}
	return fmt.Errorf("after %d attempts: %w", attempts, err)
}
