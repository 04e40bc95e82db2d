package runtime

import (
	"errors"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/backup"
)

func TestCheckRestoreTarget(t *testing.T) {
	remote := &Target{Description: "Descope project P2x at https://api.descope.com", ProjectID: "P2x", BaseURL: "https://api.descope.com/"}
	local := &Target{Description: "local project P2x (.descope-run/local/P2x.json)", ProjectID: "P2x", BaseURL: "http://local.descope-run.invalid", Local: true}
	tests := []struct {
		name       string
		from       string
		to         *Target
		allowOther bool
		wantMsg    string // "" for no refusal
	}{
		{"real onto itself", "https://api.descope.com", remote, false, ""},
		{"local onto local", backup.LocalTarget, local, false, ""},
		{"local onto real", backup.LocalTarget, remote, false,
			"refused: backup abcd1234 was taken from the local project P2x, not from Descope project P2x at https://api.descope.com"},
		{"real onto local", "https://api.descope.com", local, false,
			"refused: backup abcd1234 was taken from Descope project P2x at https://api.descope.com, not from local project P2x"},
		{"another base URL", "http://127.0.0.1:4646", remote, false, "taken from Descope project P2x at http://127.0.0.1:4646, not from"},
		{"no target recorded", "", remote, false, "does not say which target it was taken from"},
		{"local onto real, asked for", backup.LocalTarget, remote, true, ""},
		{"no target recorded, asked for", "", local, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backup.Backup{Metadata: backup.Metadata{ProjectID: "P2x", Target: tt.from}}
			err := CheckRestoreTarget(b, "abcd1234", tt.to, tt.allowOther)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ote, ok := errors.AsType[*OtherTargetError](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *OtherTargetError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), "--from-other-target") {
				t.Errorf("error %q lacks %q or the flag", err, tt.wantMsg)
			}
			if ote.BackupID != "abcd1234" {
				t.Errorf("BackupID = %q", ote.BackupID)
			}
		})
	}
}

func TestBackupTargetFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	long := "Puse12aAc4T2V93bddihGEx2Ryhc8e5Z"
	tests := []struct {
		getenv func(string) string
		id     string
		want   string
	}{
		{env(), "P2x", backup.LocalTarget},
		{env("DESCOPE_BASE_URL", "http://127.0.0.1:1"), "P2x", backup.LocalTarget},
		{env("DESCOPE_PROJECT_ID", "P2x"), "P2x", "https://api.descope.com"},
		{env("DESCOPE_PROJECT_ID", long), long, "https://api.use1.descope.com"},
		{env("DESCOPE_PROJECT_ID", "P2x", "DESCOPE_BASE_URL", "http://127.0.0.1:4646/"), "P2x", "http://127.0.0.1:4646"},
	}
	for _, tt := range tests {
		if got := BackupTargetFromEnv(tt.getenv, tt.id); got != tt.want {
			t.Errorf("BackupTargetFromEnv(%s) = %q, want %q", tt.id, got, tt.want)
		}
	}
}
