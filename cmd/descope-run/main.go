// Command descope-run manages a Descope project as code: a Starlark config
// produces the desired state, and descope-run plans and applies it.
package main

import "os"

func main() { os.Exit(Main()) }
