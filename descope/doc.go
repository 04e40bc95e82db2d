// Package descope is the domain of descope-run: the resource types of a Descope
// project, the State that holds them, its canonical JSON form, and the Diff that
// turns a live and a desired State into a Plan.
//
// The package is pure data. It performs no I/O and imports nothing of the
// project; every other package builds on it.
//
// # Unset means unmanaged
//
// The same types describe the live project and the desired one. In a desired
// State an optional field left nil is not managed: the plan leaves the live
// value alone. A non-nil pointer to the zero value (an empty list, false, "")
// is managed and clears the live value. A live State, read from the API, has
// every field set.
package descope
