package builtins

import "github.com/descope-run/descope-run/descope"

// SettingsKeywords returns s as tenant(settings = ...) takes it: the fields
// set, under their keyword names ("session_token_expiration"). It is the
// inverse of the settings argument, for code that writes configs
// (`descope-run export`), and derives from the same table.
func SettingsKeywords(s *descope.TenantSettings) map[string]any { return settingsMap(s) }
