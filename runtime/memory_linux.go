package runtime

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// memoryCeiling returns the least of the machine's memory, the process's
// address-space and data limits, and its cgroup's memory limit, or 0 when
// none is known.
func memoryCeiling() uint64 {
	var ceiling uint64
	lower := func(n uint64) {
		if n > 0 && (ceiling == 0 || n < ceiling) {
			ceiling = n
		}
	}
	var info syscall.Sysinfo_t
	if syscall.Sysinfo(&info) == nil {
		lower(uint64(info.Totalram) * uint64(info.Unit))
	}
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_DATA, &rl) == nil && rl.Cur < 1<<62 {
		lower(rl.Cur)
	}
	// The address space already mapped (the binary, the Go runtime's
	// reservations) counts toward its limit: what is left is the ceiling.
	if syscall.Getrlimit(syscall.RLIMIT_AS, &rl) == nil && rl.Cur < 1<<62 {
		lower(max(rl.Cur-min(rl.Cur, mappedBytes()), 1))
	}
	// cgroup v2, then v1; "max" or an absurd v1 value means no limit.
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(p); err == nil {
			if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n < 1<<60 {
				lower(n)
			}
		}
	}
	return ceiling
}

// mappedBytes returns the process's virtual size (/proc/self/statm), or 0.
func mappedBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	pages, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}
