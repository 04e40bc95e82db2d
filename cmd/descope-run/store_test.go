package main

import (
	"strings"
	"testing"

	"github.com/descope-run/descope-run/runtime"
)

// TestStoreURL checks where backups, locks and the audit log go: the flag,
// then the variable, then descope-run.yaml, with --backup-dir beating the
// variable and two places at once refused.
func TestStoreURL(t *testing.T) {
	const s3, gs = "s3://team/prod?region=eu-west-1", "gs://team/prod"
	for _, tt := range []struct {
		name, flag, dir, env string
		config               runtime.BackupConfig
		want, source, err    string
	}{
		{name: "none"},
		{name: "flag", flag: s3, env: gs, config: runtime.BackupConfig{URL: gs}, want: s3, source: "--backup-url"},
		{name: "variable", env: s3, config: runtime.BackupConfig{URL: gs}, want: s3, source: EnvBackupURL},
		{name: "config", config: runtime.BackupConfig{URL: gs}, want: gs, source: "backup.url"},
		{name: "dir beats the variable", dir: "/b", env: s3},
		{name: "two flags", flag: s3, dir: "/b", err: "--backup-url and --backup-dir"},
		{name: "two settings", config: runtime.BackupConfig{URL: gs, Dir: "b"}, err: "backup.url and backup.dir in /ws/descope-run.yaml"},
		{name: "config dir", config: runtime.BackupConfig{Dir: "b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &Factory{Globals: &GlobalOptions{BackupURL: tt.flag}, Getenv: func(k string) string {
				if k == EnvBackupURL {
					return tt.env
				}
				return ""
			}}
			ws := &runtime.Workspace{Root: "/ws", Config: runtime.Config{Backup: tt.config}}
			got, source, err := f.storeURL(ws, tt.dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("storeURL = %q, %v; want an error saying %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want || source != tt.source {
				t.Errorf("storeURL = %q from %q, %v; want %q from %q", got, source, err, tt.want, tt.source)
			}
		})
	}
}
