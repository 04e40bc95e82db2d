//go:build !linux

package runtime

// memoryCeiling returns 0: the machine's limits are read on Linux only.
func memoryCeiling() uint64 { return 0 }
