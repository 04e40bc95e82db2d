package runtime

import "fmt"

// A RefusedError is an operation refused for safety: a stale plan, a delete
// guard, a project mismatch, a lock held by another apply. The CLI exits 4.
type RefusedError struct {
	// What was refused and why.
	Reason string
	// Hint says what to do about it.
	Hint string
}

func (e *RefusedError) Error() string {
	if e.Hint == "" {
		return "refused: " + e.Reason
	}
	return fmt.Sprintf("refused: %s (%s)", e.Reason, e.Hint)
}
