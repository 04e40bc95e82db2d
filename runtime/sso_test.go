package runtime

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

// auditLedger reads the fingerprints an in-memory audit log recorded, as
// AuditLog.SecretFingerprints reads the file.
type auditLedger struct{ audit *memAudit }

func (l auditLedger) SecretFingerprints(_ context.Context, projectID string) (map[string]string, error) {
	out := map[string]string{}
	for _, e := range l.audit.entries {
		if e.ProjectID == projectID {
			for k, fp := range e.Secrets {
				out[k] = fp
			}
		}
	}
	return out, nil
}

// TestSSOApplyConverges applies a sequence of configs that create, update,
// switch the protocol of, delete and cascade SSO configurations: each apply
// verifies, and the next plan of the same config is empty. The client secret
// goes out exactly when the plan says so.
func TestSSOApplyConverges(t *testing.T) {
	fx := newOpFixture(t, nil)
	env := map[string]string{"ACME_SECRET": "acme-one", "BETA_SECRET": "beta-one"}
	fx.target.Secrets = &Secrets{Getenv: func(k string) string { return env[k] }, Ledger: auditLedger{fx.audit}}
	secret := func(name string) *descope.Secret { return &descope.Secret{Env: name} }
	tenants := func(acmeParent string) []*descope.Tenant {
		return []*descope.Tenant{
			{ID: "acme", Name: "Acme", Parent: descope.Ptr(acmeParent)},
			{ID: "beta", Name: "Beta"},
		}
	}
	roles := []*descope.Role{{Name: "editor"}, {Name: "local", Tenant: "acme"}}
	owns := []*descope.Ownership{{Kind: descope.KindSSO, Match: "acme/*"}, {Kind: descope.KindTenant, Match: "*"}, {Kind: descope.KindRole, Match: "*"}}
	acmeOIDC := &descope.SSO{Tenant: "acme", Domains: &[]string{"acme.com"}, OIDC: &descope.OIDC{
		ClientID: descope.Ptr("acme"), ClientSecret: secret("ACME_SECRET"), Scope: &[]string{"openid"},
		RoleMappings: &[]descope.RoleMapping{{Groups: []string{"eng"}, Role: "editor"}},
	}}
	acmeEU := &descope.SSO{Tenant: "acme", ID: "eu", Name: descope.Ptr("EU"), Domains: &[]string{"acme.eu"}, SAML: &descope.SAML{
		IdpURL: descope.Ptr("https://idp.eu/sso"), EntityID: descope.Ptr("urn:eu"), IdpCert: descope.Ptr("PEM"),
		RoleMappings: &[]descope.RoleMapping{{Groups: []string{"ops"}, Role: "local"}},
	}}
	betaMeta := &descope.SSO{Tenant: "beta", SAML: &descope.SAML{MetadataURL: descope.Ptr("https://idp.beta/metadata")}}
	acmeMeta := &descope.SSO{Tenant: "acme", Domains: &[]string{"acme.com"}, SAML: &descope.SAML{MetadataURL: descope.Ptr("https://idp.acme/metadata")}}
	betaOIDC := &descope.SSO{Tenant: "beta", Domains: &[]string{"beta.com"}, OIDC: &descope.OIDC{ClientID: descope.Ptr("beta"), ClientSecret: secret("BETA_SECRET")}}
	acmeX := &descope.SSO{Tenant: "acme", ID: "x", Domains: &[]string{"x.acme.com"}, OIDC: &descope.OIDC{ClientID: descope.Ptr("x"), ClientSecret: secret("ACME_SECRET")}}

	steps := []struct {
		name    string
		desired *descope.State
		env     map[string]string
		// sent are the secret values the apply sends, in any order.
		sent []string
	}{
		{"create OIDC, SAML and SAML by metadata", &descope.State{Tenants: tenants(""), Roles: roles, SSO: []*descope.SSO{acmeOIDC, acmeEU, betaMeta}, Owns: owns},
			nil, []string{"acme-one"}},
		{"switch protocols, delete one, add one", &descope.State{Tenants: tenants(""), Roles: roles, SSO: []*descope.SSO{acmeMeta, betaOIDC, acmeX}, Owns: owns},
			nil, []string{"beta-one", "acme-one"}},
		{"a new value is sent, the other not", &descope.State{Tenants: tenants(""), Roles: roles, SSO: []*descope.SSO{acmeMeta, betaOIDC, acmeX}, Owns: owns},
			map[string]string{"BETA_SECRET": "beta-two"}, []string{"beta-two"}},
		{"the tenant is replaced: its configurations come back", &descope.State{Tenants: tenants("beta"), Roles: roles[:1], SSO: []*descope.SSO{acmeMeta, betaOIDC, acmeX}, Owns: owns},
			nil, []string{"acme-one"}},
		{"the tenant is deleted with its configurations", &descope.State{Tenants: tenants("")[1:], Roles: roles[:1], SSO: []*descope.SSO{betaOIDC}, Owns: owns},
			nil, nil},
	}
	for _, step := range steps {
		for k, v := range step.env {
			env[k] = v
		}
		fx.emu.ResetRequests()
		out, err := Apply(context.Background(), fx.target, step.desired, fx.pol)
		if err != nil {
			t.Fatalf("%s: apply: %v", step.name, err)
		}
		if out.Result == nil || len(out.Result.Mismatches) > 0 {
			t.Fatalf("%s: result %+v", step.name, out.Result)
		}
		var sent []string
		for _, r := range fx.emu.Requests() {
			for _, v := range []string{"acme-one", "beta-one", "beta-two"} {
				if strings.Contains(string(r.Body), `"clientSecret":"`+v+`"`) {
					sent = append(sent, v)
				}
			}
		}
		if !slices.Equal(slices.Sorted(slices.Values(sent)), slices.Sorted(slices.Values(step.sent))) {
			t.Errorf("%s: secrets sent %v, want %v", step.name, sent, step.sent)
		}
		again, err := MakePlan(context.Background(), fx.target, step.desired)
		if err != nil {
			t.Fatalf("%s: plan again: %v", step.name, err)
		}
		if !again.Plan.Empty() {
			for _, c := range again.Plan.Changes {
				t.Errorf("%s: still %s %s %v", step.name, c.Action, c.ID, c.Fields)
			}
		}
	}
	// The audit log has fingerprints, never values.
	for _, e := range fx.audit.entries {
		for k, fp := range e.Secrets {
			if strings.Contains(fp, "one") || strings.Contains(fp, "two") || !strings.HasPrefix(fp, "v1:") {
				t.Errorf("audit fingerprint of %s = %q", k, fp)
			}
		}
	}
}

// TestSecretMissing checks that a plan that sends a secret needs its
// variable (a real target) and that the local project does without.
func TestSecretMissing(t *testing.T) {
	desired := &descope.State{
		Tenants: []*descope.Tenant{{ID: "acme", Name: "Acme"}},
		SSO: []*descope.SSO{{Tenant: "acme", OIDC: &descope.OIDC{ClientID: descope.Ptr("c"), ClientSecret: &descope.Secret{Env: "UNSET_SECRET"}},
			Origin: descope.Origin{"main.star:2:4: in <toplevel>"}}},
	}
	target, _ := newEmulatorTarget(t)
	target.Secrets = &Secrets{Getenv: func(string) string { return "" }}
	_, err := MakePlan(context.Background(), target, desired)
	var missing *MissingSecretError
	if !errors.As(err, &missing) || missing.Env != "UNSET_SECRET" || !strings.HasPrefix(err.Error(), "main.star:2:4: sso \"acme\": the environment variable UNSET_SECRET is not set") {
		t.Fatalf("plan: %v, want a *MissingSecretError naming UNSET_SECRET", err)
	}
	target.Local = true
	pl, err := MakePlan(context.Background(), target, desired)
	if err != nil {
		t.Fatalf("local plan: %v", err)
	}
	if c := pl.Plan.Change("sso:acme"); c == nil || !strings.Contains(c.Reason, "UNSET_SECRET is not set: the local project gets a placeholder") {
		t.Errorf("local plan change %+v, want the placeholder said", c)
	}
}

func TestSecretFingerprint(t *testing.T) {
	fp, err := SecretFingerprint("P2x", "acme", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	fp2, _ := SecretFingerprint("P2x", "acme", "s3cret")
	if fp == fp2 {
		t.Error("two fingerprints of one value are equal: the salt is not random")
	}
	for _, tt := range []struct {
		project, key, value string
		want                bool
	}{
		{"P2x", "acme", "s3cret", true},
		{"P2x", "acme", "s3cret2", false},
		{"P2y", "acme", "s3cret", false},
		{"P2x", "acme/eu", "s3cret", false},
	} {
		if got := SecretFingerprintMatches(fp, tt.project, tt.key, tt.value); got != tt.want {
			t.Errorf("matches(%s, %s, %s) = %v, want %v", tt.project, tt.key, tt.value, got, tt.want)
		}
	}
	if SecretFingerprintMatches("garbage", "P2x", "acme", "s3cret") || strings.Contains(fp, "s3cret") {
		t.Error("a malformed fingerprint matched, or the value shows")
	}
}
