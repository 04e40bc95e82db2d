package main

// This file chooses the project a command works on, the same way for plan,
// apply, backup, export and a script's descope.project (docs/design.md
// section 6, "Choosing the project").

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/descope-run/descope-run/backup"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/runtime"
)

// projectSelection is what names the project of one command: its flags and
// the config it was given.
type projectSelection struct {
	// Name is --project, an entry of descope-run.yaml's projects:.
	Name string
	// ID is --project-id.
	ID string
	// Config is set when the command was given a config; Pinned is the
	// config's project(id=...), "" when it pins none.
	Config bool
	Pinned string
	// TakesConfig says that the command accepts a config, for the error
	// that lists the candidates.
	TakesConfig bool
	// Script says that a script's descope.project(Name) asks. A script may
	// work on several projects, so DESCOPE_PROJECT_ID speaks for a name
	// only when it is that project's id and DESCOPE_MANAGEMENT_KEY is set,
	// and the local project of a name's id is made on first use, as a
	// config's is.
	Script bool
}

// chosenProject is the project a selection names, before it is opened.
type chosenProject struct {
	ID string
	// Real is set for the project on Descope (its key is available), else
	// ID is the workspace's local project.
	Real bool
}

// resolveProject chooses the project of sel in ws, without opening it:
//
//   - DESCOPE_PROJECT_ID, when set, is the real project (with
//     DESCOPE_MANAGEMENT_KEY, or the key_env of its descope-run.yaml entry);
//     --project or --project-id naming another is an error, and a config
//     pinning another is refused when the target opens (openSelected);
//     for a script's name it counts only when it is that project, with its
//     key (sel.Script);
//   - else the project that the config's pin, --project NAME,
//     --project-id ID or a script's descope.project(NAME) names: the real
//     one when the variable the key_env of its descope-run.yaml entry names
//     is set, else the workspace's local project of that id (which must
//     exist, unless a config or a script names it: their local project is
//     made on first use);
//   - else, for a config that pins none, the default local project;
//   - else the workspace's only local project;
//   - else an error that says why and lists the candidates: the local
//     projects, the projects of descope-run.yaml and, in a folder that is no
//     workspace, the workspaces below it.
func (f *Factory) resolveProject(ws *runtime.Workspace, sel projectSelection) (chosenProject, error) {
	id := sel.ID
	if sel.Name != "" {
		pc, ok := ws.Config.Projects[sel.Name]
		if !ok {
			err := fmt.Errorf("%s has no project %q (%s)", filepath.Join(ws.Root, runtime.ConfigFile), sel.Name,
				listed("its projects are", projectNames(ws)))
			if !sel.Script {
				err = fmt.Errorf("--project %s: %w", sel.Name, err)
			}
			return chosenProject{}, err
		}
		if id != "" && id != pc.ID {
			return chosenProject{}, fmt.Errorf("--project %s is project %s but --project-id is %s: drop one of them", sel.Name, pc.ID, id)
		}
		id = pc.ID
	}
	if sel.Pinned != "" {
		if id != "" && id != sel.Pinned {
			return chosenProject{}, fmt.Errorf("the config pins project %s but --project or --project-id chose %s: drop them, the config names its project", sel.Pinned, id)
		}
		id = sel.Pinned
	}
	env := f.Getenv(mgmt.EnvProjectID)
	if sel.Script && id != "" && (env != id || f.Getenv(mgmt.EnvManagementKey) == "") {
		env = ""
	}
	if env != "" {
		if id != "" && id != env && sel.Pinned == "" {
			return chosenProject{}, fmt.Errorf("the project chosen is %s but %s is %s: unset %s, or drop --project and --project-id", id, mgmt.EnvProjectID, env, mgmt.EnvProjectID)
		}
		return chosenProject{ID: env, Real: true}, nil
	}
	if id != "" {
		if f.keyEnvOf(ws, id) != "" {
			return chosenProject{ID: id, Real: true}, nil
		}
		if sel.Config || sel.Script {
			return chosenProject{ID: id}, nil
		}
		local, err := runtime.LocalProjects(ws)
		if err != nil {
			return chosenProject{}, err
		}
		if !slices.Contains(local, id) {
			return chosenProject{}, fmt.Errorf("project %s: the workspace %s has no local project of that id, and no key for the real one is set: set %s and %s (or the key_env of its entry in %s) for the real project (%s)",
				id, ws.Root, mgmt.EnvProjectID, mgmt.EnvManagementKey, runtime.ConfigFile, listed("local projects:", local))
		}
		return chosenProject{ID: id}, nil
	}
	if sel.Config {
		return chosenProject{ID: runtime.DefaultLocalProjectID}, nil
	}
	local, err := runtime.LocalProjects(ws)
	if err != nil {
		return chosenProject{}, err
	}
	if len(local) == 1 {
		return chosenProject{ID: local[0]}, nil
	}
	return chosenProject{}, whichProject(ws, local, sel)
}

// whichProject is the error of a selection that cannot tell which project:
// it says why, how sel's command names one, and lists the candidates.
func whichProject(ws *runtime.Workspace, local []string, sel projectSelection) error {
	has := "no local project"
	if len(local) > 1 {
		has = fmt.Sprintf("%d local projects", len(local))
	}
	choose := "or choose one with --project NAME or --project-id ID"
	switch {
	case sel.Script:
		choose = "or name one with descope.project(NAME)"
	case sel.TakesConfig:
		choose = "choose one with --project NAME or --project-id ID, or name its config (a .star file)"
	}
	candidates := []string{listed("local projects:", local)}
	if ws.HasConfig {
		candidates = append(candidates, listed("projects in "+runtime.ConfigFile+":", projectNames(ws)))
	} else {
		candidates = append(candidates, "no "+runtime.ConfigFile+" here")
		// A script's workspace is where the script is: --workspace is for
		// the commands that read no file.
		if below := workspacesBelow(ws.Root); len(below) > 0 && !sel.Script {
			candidates = append(candidates, listed("workspaces below (choose one with --workspace DIR):", below))
		}
	}
	return fmt.Errorf("which project? %s is not set and the workspace %s has %s: set %s and %s for a real project, %s (%s)",
		mgmt.EnvProjectID, ws.Root, has, mgmt.EnvProjectID, mgmt.EnvManagementKey, choose, strings.Join(candidates, "; "))
}

// keyEnvOf returns the variable that holds the key of project id, when an
// entry of descope-run.yaml's projects: names it and the variable is set;
// else "".
func (f *Factory) keyEnvOf(ws *runtime.Workspace, id string) string {
	for _, n := range projectNames(ws) {
		if pc := ws.Config.Projects[n]; pc.ID == id && pc.KeyEnv != "" && f.Getenv(pc.KeyEnv) != "" {
			return pc.KeyEnv
		}
	}
	return ""
}

// workspacesBelow returns the folders under dir, at most three levels down,
// that hold a descope-run.yaml (relative to dir, sorted); hidden folders,
// testdata, vendor and node_modules are skipped.
func workspacesBelow(dir string) []string {
	const depth = 3
	var found []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || path == dir {
			return nil
		}
		rel, rerr := filepath.Rel(dir, path)
		if rerr != nil {
			return filepath.SkipDir
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules" {
			return filepath.SkipDir
		}
		if isFile(filepath.Join(path, runtime.ConfigFile)) {
			found = append(found, filepath.ToSlash(rel))
			return filepath.SkipDir
		}
		if strings.Count(filepath.ToSlash(rel), "/")+1 >= depth {
			return filepath.SkipDir
		}
		return nil
	})
	return found
}

// env returns the environment a chosen project opens with: DESCOPE_PROJECT_ID
// is its id when it is real, and unset when it is local.
func (c chosenProject) env(getenv func(string) string) func(string) string {
	return func(k string) string {
		if k == mgmt.EnvProjectID {
			if c.Real {
				return c.ID
			}
			return ""
		}
		return getenv(k)
	}
}

// backupTarget is the target the backups of c are kept by, without opening
// it (see runtime.BackupTargetFromEnv).
func (c chosenProject) backupTarget(getenv func(string) string) string {
	if !c.Real {
		return backup.LocalTarget
	}
	return runtime.BackupTargetFromEnv(c.env(getenv), c.ID)
}

// openChosen opens the project c.
func (f *Factory) openChosen(ws *runtime.Workspace, c chosenProject) (*runtime.Target, error) {
	return f.openTargetEnv(ws, c.ID, c.env(f.Getenv))
}

// openSelected chooses the project of sel and opens it (openChecked).
func (f *Factory) openSelected(ws *runtime.Workspace, sel projectSelection) (*runtime.Target, error) {
	c, err := f.resolveProject(ws, sel)
	if err != nil {
		return nil, err
	}
	return f.openChecked(ws, c, sel.Pinned)
}

// openChecked opens the project c, refusing it when a config pins another
// project, pinned (*runtime.ProjectMismatchError, exit 4): c is then the
// one DESCOPE_PROJECT_ID names.
func (f *Factory) openChecked(ws *runtime.Workspace, c chosenProject, pinned string) (*runtime.Target, error) {
	t, err := f.openChosen(ws, c)
	if err != nil {
		return nil, err
	}
	if pinned != "" && pinned != t.ProjectID {
		return nil, &runtime.ProjectMismatchError{Want: pinned, TargetID: t.ProjectID, Target: t.Description}
	}
	return t, nil
}

// addProjectFlags adds --project NAME and --project-id ID, the selection
// resolveProject reads, to the flags fs of cmd.
func addProjectFlags(cmd *cobra.Command, fs *pflag.FlagSet, name, id *string) {
	fs.StringVar(name, "project", "", "the project `NAME` of descope-run.yaml's projects:")
	fs.StringVar(id, "project-id", "", "the project `ID` (the workspace's local project of that id without a key)")
	_ = cmd.RegisterFlagCompletionFunc("project", completeProjectNames)
}

// chooseProject opens the project that a command reading one without a
// config works on: --project NAME, --project-id ID, or what the
// environment and the workspace leave (resolveProject).
func (f *Factory) chooseProject(ws *runtime.Workspace, name, id string) (*runtime.Target, error) {
	return f.openSelected(ws, projectSelection{Name: name, ID: id})
}

// isFile reports whether path is a regular file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
