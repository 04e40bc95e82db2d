package descope

import (
	"fmt"
	"reflect"
	"slices"
)

// This file defines a tenant's settings: the TenantSettings type and
// TenantSettingFields, the one table that the tenant() builtin, the diff, the
// backup and the Management API client derive their handling from. Adding a
// setting is a field of TenantSettings and a row of the table here, plus the
// field of the wire types of the client (descope/mgmt) and of the emulator,
// which read the API contract on their own. Until every layer has it, tests
// fail: TestTenantSettingFields here, descope/mgmt at init (wireFields),
// TestSettingsWireCoversTable and TestSettingsRoundTrip in the emulator, and
// TestSettingsThroughEveryLayer in runtime.

// TenantSettings are a tenant's session and SSO settings
// (GET/POST /v1/mgmt/tenant/settings). Every field is optional; a nil field is
// unmanaged. Each field has its row in TenantSettingFields.
type TenantSettings struct {
	// Domains are the tenant's SSO domains (a set).
	Domains                    *[]string `json:"domains,omitempty"`
	AuthType                   *string   `json:"authType,omitempty"`
	SessionSettingsEnabled     *bool     `json:"enabled,omitempty"`
	RefreshTokenExpiration     *int64    `json:"refreshTokenExpiration,omitempty"`
	RefreshTokenExpirationUnit *string   `json:"refreshTokenExpirationUnit,omitempty"`
	SessionTokenExpiration     *int64    `json:"sessionTokenExpiration,omitempty"`
	SessionTokenExpirationUnit *string   `json:"sessionTokenExpirationUnit,omitempty"`
	StepupTokenExpiration      *int64    `json:"stepupTokenExpiration,omitempty"`
	StepupTokenExpirationUnit  *string   `json:"stepupTokenExpirationUnit,omitempty"`
	EnableInactivity           *bool     `json:"enableInactivity,omitempty"`
	InactivityTime             *int64    `json:"inactivityTime,omitempty"`
	InactivityTimeUnit         *string   `json:"inactivityTimeUnit,omitempty"`
	JITDisabled                *bool     `json:"JITDisabled,omitempty"`
}

// ExpirationUnits are the values the *Unit settings accept.
var ExpirationUnits = []string{"seconds", "minutes", "hours", "days", "weeks"}

// AuthTypes are the values TenantSettings.AuthType accepts.
var AuthTypes = []string{"none", "saml", "oidc"}

type settings = TenantSettings

// TenantSettingFields describes every field of TenantSettings, once, in the
// order tenant() lists its settings keys and a plan lists their changes.
var TenantSettingFields = []*TenantSetting{
	domainsSetting("domains", "domains", func(s *settings) **[]string { return &s.Domains }),
	enumSetting("auth_type", "authType", AuthTypes, func(s *settings) **string { return &s.AuthType }),
	boolSetting("session_settings_enabled", "enabled", func(s *settings) **bool { return &s.SessionSettingsEnabled }),
	intSetting("session_token_expiration", "sessionTokenExpiration", func(s *settings) **int64 { return &s.SessionTokenExpiration }),
	enumSetting("session_token_expiration_unit", "sessionTokenExpirationUnit", ExpirationUnits, func(s *settings) **string { return &s.SessionTokenExpirationUnit }),
	intSetting("refresh_token_expiration", "refreshTokenExpiration", func(s *settings) **int64 { return &s.RefreshTokenExpiration }),
	enumSetting("refresh_token_expiration_unit", "refreshTokenExpirationUnit", ExpirationUnits, func(s *settings) **string { return &s.RefreshTokenExpirationUnit }),
	intSetting("stepup_token_expiration", "stepupTokenExpiration", func(s *settings) **int64 { return &s.StepupTokenExpiration }),
	enumSetting("stepup_token_expiration_unit", "stepupTokenExpirationUnit", ExpirationUnits, func(s *settings) **string { return &s.StepupTokenExpirationUnit }),
	boolSetting("enable_inactivity", "enableInactivity", func(s *settings) **bool { return &s.EnableInactivity }),
	intSetting("inactivity_time", "inactivityTime", func(s *settings) **int64 { return &s.InactivityTime }),
	enumSetting("inactivity_time_unit", "inactivityTimeUnit", ExpirationUnits, func(s *settings) **string { return &s.InactivityTimeUnit }),
	boolSetting("jit_disabled", "JITDisabled", func(s *settings) **bool { return &s.JITDisabled }), // capital letters, as on the wire
}

// A SettingKind is the type of a tenant setting's value.
type SettingKind uint8

// The kinds of settings.
const (
	// SettingDomains is a set of domain names, a []string.
	SettingDomains SettingKind = iota + 1
	// SettingEnum is a string, one of the setting's Values.
	SettingEnum
	// SettingBool is a bool.
	SettingBool
	// SettingInt is a non-negative int64.
	SettingInt
)

// A TenantSetting describes one field of TenantSettings for every layer that
// handles it. Its methods read and write that field of a TenantSettings.
type TenantSetting struct {
	// Keyword is the setting's key in tenant(settings = {...}):
	// "session_token_expiration".
	Keyword string
	// Wire is the setting's JSON name in the Management API
	// (docs/descope-api.md section 4.1) and in TenantSettings:
	// "sessionTokenExpiration". A plan names the field "settings." + Wire.
	Wire string
	// Kind is the type of the setting's value.
	Kind SettingKind
	// Values are the values an enum setting accepts; nil for other kinds.
	Values []string

	// path is the field's name in a plan.
	path string
	// field returns a pointer to the setting's field of a TenantSettings:
	// a func(*TenantSettings) **T, T the setting's Type.
	field any
}

// Type is the Go type of the setting's value: bool, int64, string or
// []string, as Kind says.
func (t *TenantSetting) Type() reflect.Type {
	switch t.field.(type) {
	case func(*settings) **bool:
		return reflect.TypeFor[bool]()
	case func(*settings) **int64:
		return reflect.TypeFor[int64]()
	case func(*settings) **string:
		return reflect.TypeFor[string]()
	case func(*settings) **[]string:
		return reflect.TypeFor[[]string]()
	}
	panic("descope: setting " + t.Keyword + " has no field")
}

// Value returns the setting's value in s (a copy), or nil when s leaves it
// unset.
func (t *TenantSetting) Value(s *TenantSettings) any {
	switch field := t.field.(type) {
	case func(*settings) **bool:
		return value(*field(s))
	case func(*settings) **int64:
		return value(*field(s))
	case func(*settings) **string:
		return value(*field(s))
	case func(*settings) **[]string:
		if p := *field(s); p != nil {
			return cloneDomains(*p)
		}
	}
	return nil
}

// Load sets the setting in s to a copy of *from, where from is a pointer to
// a value of the setting's Type (a field of a wire type, say). It panics if
// from has another type.
func (t *TenantSetting) Load(s *TenantSettings, from any) {
	switch field := t.field.(type) {
	case func(*settings) **bool:
		*field(s) = new(*from.(*bool))
	case func(*settings) **int64:
		*field(s) = new(*from.(*int64))
	case func(*settings) **string:
		*field(s) = new(*from.(*string))
	case func(*settings) **[]string:
		*field(s) = new(cloneDomains(*from.(*[]string)))
	}
}

// Store copies the setting's value in s to *to, where to is a pointer to a
// value of the setting's Type, and reports whether s sets it; an unset
// setting leaves *to alone. It panics if to has another type.
func (t *TenantSetting) Store(s *TenantSettings, to any) bool {
	switch field := t.field.(type) {
	case func(*settings) **bool:
		return store(*field(s), to.(*bool))
	case func(*settings) **int64:
		return store(*field(s), to.(*int64))
	case func(*settings) **string:
		return store(*field(s), to.(*string))
	case func(*settings) **[]string:
		if p := *field(s); p != nil {
			*to.(*[]string) = cloneDomains(*p)
			return true
		}
	}
	return false
}

// Clone returns a copy of s that shares no pointer or list with it; nil for
// nil.
func (s *TenantSettings) Clone() *TenantSettings {
	if s == nil {
		return nil
	}
	c := *s
	for _, t := range TenantSettingFields {
		switch field := t.field.(type) {
		case func(*settings) **bool:
			clonePtr(field(&c))
		case func(*settings) **int64:
			clonePtr(field(&c))
		case func(*settings) **string:
			clonePtr(field(&c))
		case func(*settings) **[]string:
			if p := field(&c); *p != nil {
				*p = new(cloneDomains(**p))
			}
		}
	}
	return &c
}

// settingsFields compares every setting want manages. The switch keeps the
// calls direct, so that f stays on the stack.
func settingsFields(f *fields, live, want *TenantSettings) {
	for _, t := range TenantSettingFields {
		switch field := t.field.(type) {
		case func(*settings) **bool:
			scalar(f, t.path, *field(live), *field(want))
		case func(*settings) **int64:
			scalar(f, t.path, *field(live), *field(want))
		case func(*settings) **string:
			scalar(f, t.path, *field(live), *field(want))
		case func(*settings) **[]string:
			set(f, t.path, *field(live), *field(want))
		}
	}
}

// SampleTenantSettings returns settings with every setting set to a valid
// value; ints and enums differ from setting to setting, and every setting
// differs between the samples of n and n+1. Tests that take settings
// through a layer use it, so that a setting the layer drops fails them.
func SampleTenantSettings(n int) *TenantSettings {
	s := new(TenantSettings)
	for i, t := range TenantSettingFields {
		switch field := t.field.(type) {
		case func(*settings) **bool:
			*field(s) = new(n%2 == 1)
		case func(*settings) **int64:
			*field(s) = new(int64(100*n + i + 1))
		case func(*settings) **string:
			*field(s) = new(t.Values[(n+i)%len(t.Values)])
		case func(*settings) **[]string:
			*field(s) = &[]string{fmt.Sprintf("sso%d.example.com", n)}
		}
	}
	return s
}

func domainsSetting(keyword, wire string, field func(*settings) **[]string) *TenantSetting {
	return newSetting(SettingDomains, keyword, wire, nil, field)
}

func enumSetting(keyword, wire string, values []string, field func(*settings) **string) *TenantSetting {
	return newSetting(SettingEnum, keyword, wire, values, field)
}

func boolSetting(keyword, wire string, field func(*settings) **bool) *TenantSetting {
	return newSetting(SettingBool, keyword, wire, nil, field)
}

func intSetting(keyword, wire string, field func(*settings) **int64) *TenantSetting {
	return newSetting(SettingInt, keyword, wire, nil, field)
}

func newSetting(kind SettingKind, keyword, wire string, values []string, field any) *TenantSetting {
	return &TenantSetting{Keyword: keyword, Wire: wire, Kind: kind, Values: values, path: "settings." + wire, field: field}
}

func value[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func store[T any](p, to *T) bool {
	if p != nil {
		*to = *p
	}
	return p != nil
}

func clonePtr[T any](p **T) {
	if *p != nil {
		*p = new(**p)
	}
}

// cloneDomains copies a list of domains; the copy of nil is empty, as the
// API answers no domains.
func cloneDomains(v []string) []string {
	if v == nil {
		return []string{}
	}
	return slices.Clone(v)
}
