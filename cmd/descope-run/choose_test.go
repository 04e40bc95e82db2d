package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/runtime"
)

// resolveProject follows docs/design.md section 6, "Choosing the project".
func TestResolveProject(t *testing.T) {
	const prod, staging = "P2ProdProject000000000000000", "P2StagingProject000000000000"
	newWorkspace := func(t *testing.T, local ...string) *runtime.Workspace {
		root := t.TempDir()
		yaml := "projects:\n  prod:\n    id: " + prod + "\n    key_env: PROD_KEY\n  staging:\n    id: " + staging + "\n"
		if err := os.WriteFile(filepath.Join(root, runtime.ConfigFile), []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, runtime.LocalDir, "local")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, id := range local {
			if err := os.WriteFile(filepath.Join(dir, id+".json"), []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ws, err := runtime.OpenWorkspace(root)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	tests := []struct {
		name    string
		local   []string
		env     map[string]string
		sel     projectSelection
		want    chosenProject
		wantErr string
	}{
		{name: "only local project", local: []string{staging}, want: chosenProject{ID: staging}},
		{name: "no local project", wantErr: "which project? DESCOPE_PROJECT_ID is not set and the workspace"},
		{name: "two local projects", local: []string{prod, staging}, wantErr: "has 2 local projects"},
		{name: "environment", local: []string{staging}, env: map[string]string{"DESCOPE_PROJECT_ID": "P2Env"},
			want: chosenProject{ID: "P2Env", Real: true}},
		{name: "environment and another --project-id", env: map[string]string{"DESCOPE_PROJECT_ID": "P2Env"},
			sel: projectSelection{ID: staging}, wantErr: "the project chosen is " + staging + " but DESCOPE_PROJECT_ID is P2Env"},
		{name: "environment and another pin: refused on opening", env: map[string]string{"DESCOPE_PROJECT_ID": "P2Env"},
			sel: projectSelection{Config: true, Pinned: prod}, want: chosenProject{ID: "P2Env", Real: true}},
		{name: "name without its key", local: []string{prod, staging}, sel: projectSelection{Name: "prod"}, want: chosenProject{ID: prod}},
		{name: "name with its key", env: map[string]string{"PROD_KEY": "K2"}, sel: projectSelection{Name: "prod"},
			want: chosenProject{ID: prod, Real: true}},
		{name: "name and id disagree", sel: projectSelection{Name: "prod", ID: staging}, wantErr: "--project prod is project " + prod + " but --project-id is " + staging},
		{name: "unknown name", sel: projectSelection{Name: "prd"}, wantErr: `has no project "prd" (its projects are prod, staging)`},
		{name: "id without a local project", sel: projectSelection{ID: staging}, wantErr: "has no local project of that id"},
		{name: "pin: local, made on first use", sel: projectSelection{Config: true, Pinned: staging}, want: chosenProject{ID: staging}},
		{name: "pin with its key", env: map[string]string{"PROD_KEY": "K2"}, sel: projectSelection{Config: true, Pinned: prod},
			want: chosenProject{ID: prod, Real: true}},
		{name: "pin and another --project", sel: projectSelection{Config: true, Pinned: prod, Name: "staging"},
			wantErr: "the config pins project " + prod + " but --project or --project-id chose " + staging},
		{name: "config without a pin", local: []string{prod, staging}, sel: projectSelection{Config: true},
			want: chosenProject{ID: runtime.DefaultLocalProjectID}},
		// A script's descope.project(name): docs/design.md section 8 and
		// "Choosing the project".
		{name: "script: only local project", local: []string{staging}, sel: projectSelection{Script: true}, want: chosenProject{ID: staging}},
		{name: "script: environment", local: []string{staging}, env: map[string]string{"DESCOPE_PROJECT_ID": "P2Env"},
			sel: projectSelection{Script: true}, want: chosenProject{ID: "P2Env", Real: true}},
		{name: "script: two local projects", local: []string{prod, staging}, sel: projectSelection{Script: true},
			wantErr: "has 2 local projects: set DESCOPE_PROJECT_ID and DESCOPE_MANAGEMENT_KEY for a real project, or name one with descope.project(NAME) (local projects: " + prod + ", " + staging + "; projects in descope-run.yaml: prod, staging)"},
		{name: "script: name without its key, local made on first use", sel: projectSelection{Script: true, Name: "prod"}, want: chosenProject{ID: prod}},
		{name: "script: name with its key", env: map[string]string{"PROD_KEY": "K2"}, sel: projectSelection{Script: true, Name: "prod"},
			want: chosenProject{ID: prod, Real: true}},
		{name: "script: name, the environment on another project", env: map[string]string{"DESCOPE_PROJECT_ID": "P2Env", "DESCOPE_MANAGEMENT_KEY": "K2"},
			sel: projectSelection{Script: true, Name: "staging"}, want: chosenProject{ID: staging}},
		{name: "script: name, the environment on that project", env: map[string]string{"DESCOPE_PROJECT_ID": staging, "DESCOPE_MANAGEMENT_KEY": "K2"},
			sel: projectSelection{Script: true, Name: "staging"}, want: chosenProject{ID: staging, Real: true}},
		{name: "script: name, the environment on that project without a key", env: map[string]string{"DESCOPE_PROJECT_ID": staging},
			sel: projectSelection{Script: true, Name: "staging"}, want: chosenProject{ID: staging}},
		{name: "script: unknown name", sel: projectSelection{Script: true, Name: "prd"}, wantErr: `has no project "prd" (its projects are prod, staging)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := newWorkspace(t, tt.local...)
			f := &Factory{Getenv: func(k string) string { return tt.env[k] }}
			got, err := f.resolveProject(ws, tt.sel)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if tt.sel.Script && strings.Contains(err.Error(), "--") {
					t.Errorf("a script's error names a flag: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// workspacesBelow finds the workspaces under a folder, not those in hidden
// folders or testdata, nor deeper than three levels.
func TestWorkspacesBelow(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"scripts", "a/b/ws", "a/b/c/deep", ".hidden/ws", "x/testdata/ws"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, d, runtime.ConfigFile), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(workspacesBelow(root), " ")
	if want := "a/b/ws scripts"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
