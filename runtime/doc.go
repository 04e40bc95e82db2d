// Package runtime is descope-run's host. It finds the workspace, reads
// descope-run.yaml, loads and evaluates Starlark configs in a sandbox into a
// desired state, and (in later layers) plans and applies that state against
// a target project.
package runtime
