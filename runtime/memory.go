package runtime

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxMemory is the memory budget of an evaluation when the machine
// does not call for less (see MaxMemoryDefault).
const DefaultMaxMemory = 1 << 30

// MaxMemoryDefault returns the default memory budget of an evaluation:
// DefaultMaxMemory, or a quarter of the least of the machine's memory, the
// process's address-space and data limits and its cgroup's memory limit,
// when that is smaller. A quarter leaves room for the allocation that
// crosses the budget (a buffer that doubles copies itself) and for the
// rest of the process, so that the budget, not the kernel or the Go
// runtime, stops a runaway config.
func MaxMemoryDefault() uint64 {
	budget := uint64(DefaultMaxMemory)
	if l := memoryCeiling(); l > 0 {
		budget = min(budget, l/4)
	}
	return max(budget, 16<<20)
}

// FormatBytes renders n in binary units: "1 GiB", "512 MiB", "900 B".
func FormatBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i, f := 0, float64(n)
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " " + units[i]
}

// ParseBytes reads a size: a number with an optional unit, B, KB, MB, GB, TB
// (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024), or K, M, G, T
// (taken as the binary units), case-insensitive: "512MiB", "2G", "1.5GB".
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("%q is not a size: want a number and a unit, e.g. 512MiB or 2GiB", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}[strings.ToLower(unit)]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q: want B, KiB, MiB, GiB, TiB (or KB, MB, GB, TB)", s, unit)
	}
	if v := f * mult; v < 1<<63 {
		return uint64(v), nil
	}
	return 0, fmt.Errorf("%q is too large", s)
}

// heapWatch watches the process's heap while a config evaluates and closes
// exceeded when it grows by more than budget over where it started. Starlark
// cannot be stopped inside a built-in call ("".join of a huge list, say), so
// the watch measures memory rather than waiting for the interpreter.
type heapWatch struct {
	// exceeded is closed when the heap has grown past the budget, and
	// overshot when it grew by another quarter of the budget after that (a
	// built-in call that the interpreter cannot stop).
	exceeded, overshot chan struct{}
	done               chan struct{}
}

// heapSample names the runtime/metrics value watched: the bytes of heap
// objects, live or not yet swept.
const heapSample = "/memory/classes/heap/objects:bytes"

// heapWatchEvery is how often the heap is sampled.
const heapWatchEvery = 5 * time.Millisecond

func watchHeap(budget uint64) *heapWatch {
	w := &heapWatch{exceeded: make(chan struct{}), overshot: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: heapSample}}
	read := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	// Count from the live heap: garbage not yet collected (a large
	// structure just dropped) would raise the start, and the budget with
	// it, by as much as it holds.
	runtime.GC()
	base := read()
	go func() {
		t := time.NewTicker(heapWatchEvery)
		defer t.Stop()
		limit, signal := base+budget, w.exceeded
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
			}
			if read() <= limit {
				continue
			}
			if signal == w.exceeded {
				// Garbage counts until it is swept: collect, and look again.
				runtime.GC()
				if read() <= limit {
					continue
				}
			}
			close(signal)
			if signal == w.overshot {
				return
			}
			// Once cancelled, the interpreter allocates no more: growth
			// means a built-in call that goes on.
			limit, signal = read()+budget/4, w.overshot
		}
	}()
	return w
}

func (w *heapWatch) stop() { close(w.done) }
