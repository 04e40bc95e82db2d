// Package docs holds descope-run's design notes (design.md) and the facts
// about the Descope Management API that the client and the emulator are
// written against (descope-api.md). It has no Go API. Its test keeps the
// repository honest about them: every file may cite only documents under
// docs/ and sections that exist there, and none may point outside the
// repository.
package docs
