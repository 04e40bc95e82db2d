package runtime

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// Secrets resolve the secrets a desired state names with secret("ENV")
// (docs/design.md section 8a): the OIDC client secrets of SSO
// configurations. The API never returns a secret, so a plan cannot see
// drift in one; it sends a secret when it creates the configuration, when
// Rotate is set (--rotate-secrets), and when the secret's salted fingerprint
// differs from the one recorded in the audit log when it was last sent. A
// value is read from the environment only when the plan needs it: to send
// it, or to compare it with a recorded fingerprint. It is never rendered,
// logged or written down; only its fingerprint is, in the audit log.
type Secrets struct {
	// Getenv reads the variables (nil: os.Getenv).
	Getenv func(string) string
	// Ledger holds the fingerprints of the secrets sent before (nil: none
	// known).
	Ledger SecretLedger
	// Rotate sends every secret of an existing configuration.
	Rotate bool
}

// SecretLedger gives the fingerprints of the secrets last sent to a
// project, by the key of their SSO configuration. The audit log is one.
type SecretLedger interface {
	SecretFingerprints(ctx context.Context, projectID string) (map[string]string, error)
}

// A MissingSecretError is a secret whose environment variable is not set
// when a plan needs its value.
type MissingSecretError struct {
	Env string
	// SSO is the key of the configuration, Pos its declaration's position.
	SSO, Pos string
}

func (e *MissingSecretError) Error() string {
	return fmt.Sprintf("%s: sso %q: the environment variable %s is not set; it holds the OIDC client secret, which this plan sends (set it, or plan where it is set)",
		orDefault(e.Pos, "?"), e.SSO, e.Env)
}

// localPlaceholder is the client secret the local project gets when the
// variable is not set: the emulator never uses it (nor returns it), and
// once the variable is set its fingerprint differs, so the real value is
// sent.
const localPlaceholder = "descope-run-local-placeholder"

// secrets returns how t resolves secrets.
func (t *Target) secrets() *Secrets {
	if t.Secrets != nil {
		return t.Secrets
	}
	return &Secrets{}
}

func (s *Secrets) getenv(name string) string {
	if s.Getenv != nil {
		return s.Getenv(name)
	}
	return os.Getenv(name)
}

// markSecrets returns desired with the client secret of each configuration
// that exists live marked to be sent (descope.Secret.Send) when Rotate is
// set or its fingerprint changed, as the copy a plan diffs: desired itself
// is left alone. It reads the ledger, and the values that have a
// fingerprint to compare, only when desired has secrets.
func (t *Target) markSecrets(ctx context.Context, desired, live *descope.State) (*descope.State, error) {
	configs := desired.SSOSecrets()
	if len(configs) == 0 {
		return desired, nil
	}
	s := t.secrets()
	var recorded map[string]string
	if s.Ledger != nil && !s.Rotate {
		var err error
		if recorded, err = s.Ledger.SecretFingerprints(ctx, t.ProjectID); err != nil {
			return nil, fmt.Errorf("read the fingerprints of the secrets sent before: %w", err)
		}
	}
	marked := *desired
	marked.SSO = slices.Clone(desired.SSO)
	for i, c := range marked.SSO {
		if c.OIDC == nil || c.OIDC.ClientSecret == nil {
			continue
		}
		l := live.SSOConfig(c.Tenant, c.ID)
		if l == nil || l.OIDC == nil {
			continue // created, or switching protocol: sent anyway
		}
		sec := *c.OIDC.ClientSecret
		switch fp, ok := recorded[c.Key()]; {
		case s.Rotate:
			sec.Send, sec.Reason = true, "the client secret is sent again: --rotate-secrets"
		case ok:
			v := s.getenv(sec.Env)
			if v == "" {
				if t.Local {
					continue // the placeholder stays until the variable is set
				}
				return nil, &MissingSecretError{Env: sec.Env, SSO: c.Key(), Pos: c.Origin.Pos()}
			}
			if !SecretFingerprintMatches(fp, t.ProjectID, c.Key(), v) {
				sec.Send, sec.Reason = true, fmt.Sprintf("the client secret in %s differs from the one last sent (its fingerprint in the audit log)", sec.Env)
			}
		default:
			continue // never sent from here: nothing to compare with
		}
		o := *c.OIDC
		o.ClientSecret = &sec
		cc := *c
		cc.OIDC = &o
		marked.SSO[i] = &cc
	}
	return &marked, nil
}

// secretValues reads the values of the secrets plan sends: those of the
// changes that carry an "oidc.clientSecret" field, by configuration key.
// An unset variable is a *MissingSecretError, except for the local project,
// which gets a placeholder (and the change says so).
func (t *Target) secretValues(p *descope.Plan) (map[string]string, error) {
	var values map[string]string
	for _, c := range p.Changes {
		i := slices.IndexFunc(c.Fields, func(f descope.FieldChange) bool { return f.Path == secretField })
		if c.Kind != descope.KindSSO || i < 0 {
			continue
		}
		sec, ok := c.Fields[i].After.(*descope.Secret)
		if !ok {
			return nil, fmt.Errorf("%s: the client secret is not a secret() (this is a bug)", c.ID)
		}
		v := t.secrets().getenv(sec.Env)
		if v == "" {
			if !t.Local {
				return nil, &MissingSecretError{Env: sec.Env, SSO: c.Key, Pos: c.Origin.Pos()}
			}
			v = localPlaceholder
			note := fmt.Sprintf("%s is not set: the local project gets a placeholder client secret", sec.Env)
			c.Reason = strings.TrimPrefix(c.Reason+"; "+note, "; ")
		}
		if values == nil {
			values = map[string]string{}
		}
		values[c.Key] = v
	}
	return values, nil
}

// secretField is the path of the client secret in a plan.
const secretField = "oidc.clientSecret"

// SecretFingerprint returns a salted fingerprint of the secret value of SSO
// configuration key of a project: "v1:" + salt + ":" + hash, where hash is
// the hex SHA-256 of the salt, the project id, the key and the value. It
// shows whether a later value is the same without showing the value; a
// fresh random salt makes equal values give different fingerprints.
func SecretFingerprint(projectID, key, value string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("fingerprint a secret: %w", err)
	}
	return "v1:" + hex.EncodeToString(salt) + ":" + fingerprintHash(salt, projectID, key, value), nil
}

// SecretFingerprintMatches reports whether value is the secret that fp, made by
// SecretFingerprint for the same project and key, fingerprints.
func SecretFingerprintMatches(fp, projectID, key, value string) bool {
	parts := strings.Split(fp, ":")
	if len(parts) != 3 || parts[0] != "v1" {
		return false
	}
	salt, err := hex.DecodeString(parts[1])
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(parts[2]), []byte(fingerprintHash(salt, projectID, key, value))) == 1
}

func fingerprintHash(salt []byte, projectID, key, value string) string {
	h := sha256.New()
	for _, part := range [][]byte{salt, []byte(projectID), []byte(key), []byte(value)} {
		h.Write([]byte{byte(len(part) >> 24), byte(len(part) >> 16), byte(len(part) >> 8), byte(len(part))})
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sentFingerprints returns the fingerprints of the secrets that the done
// changes of pl sent, by configuration key, for the audit log.
func sentFingerprints(t *Target, pl *Planned, res *ApplyResult) (map[string]string, error) {
	if pl == nil || res == nil || len(pl.secrets) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, id := range res.Report.Done {
		c := pl.Plan.Change(id)
		if c == nil || c.Kind != descope.KindSSO {
			continue
		}
		v, ok := pl.secrets[c.Key]
		if !ok {
			continue
		}
		fp, err := SecretFingerprint(t.ProjectID, c.Key, v)
		if err != nil {
			return nil, err
		}
		out[c.Key] = fp
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// SecretFingerprints reads the audit log for the fingerprints of the
// secrets last sent to project id: for each configuration, the latest
// entry's. A log that does not exist yet holds none.
func (l AuditLog) SecretFingerprints(_ context.Context, projectID string) (map[string]string, error) {
	f, err := os.Open(l.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var e struct {
			ProjectID string            `json:"project_id"`
			Secrets   map[string]string `json:"secrets"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.ProjectID != projectID {
			continue // a damaged line records nothing
		}
		for k, fp := range e.Secrets {
			out[k] = fp
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	return out, nil
}

// secretsObject names the object of a shared store that holds the latest
// fingerprints of the secrets sent to a project: the audit log there is
// one object per operation, which a store without listing cannot search.
func (a SharedAudit) secretsObject(projectID string) string {
	return path.Join("audit", a.Folder, projectID, "secrets.json")
}

// SecretFingerprints reads the fingerprints of the secrets last sent to
// project id from the shared store (none when it holds none yet).
func (a SharedAudit) SecretFingerprints(ctx context.Context, projectID string) (map[string]string, error) {
	data, err := a.Objects.ReadObject(ctx, a.secretsObject(projectID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	var out map[string]string
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", a.Objects.URL(a.secretsObject(projectID)), err)
	}
	return out, nil
}

// recordSecrets merges the fingerprints e records into the shared store's
// latest ones. The operation holds the project's lock, so no other writes
// them meanwhile.
func (a SharedAudit) recordSecrets(ctx context.Context, e AuditEntry) error {
	if len(e.Secrets) == 0 {
		return nil
	}
	all, err := a.SecretFingerprints(ctx, e.ProjectID)
	if err != nil {
		return err
	}
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, e.Secrets)
	data, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := a.Objects.WriteObject(ctx, a.secretsObject(e.ProjectID), data); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}
