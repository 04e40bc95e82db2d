package main

// This file completes arguments and flags in shells (cobra's completion
// command): backup ids and the project names of descope-run.yaml.

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/descope-run/descope-run/runtime"
)

// completeProjectNames completes --project with the names of the projects
// of the workspace that the command's --workspace flag (default ".") names.
func completeProjectNames(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	dir := "."
	if fl := cmd.Flags().Lookup("workspace"); fl != nil {
		dir = fl.Value.String()
	}
	root, err := runtime.FindRootFromDir(dir)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ws, err := runtime.OpenWorkspace(root)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, n := range projectNames(ws) {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n+"\t"+ws.Config.Projects[n].ID)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeBackupIDs returns the ids of the backups of the project the
// command's flags choose that start with prefix, newest first, each with
// when and why it was taken; nothing when the flags choose no project.
func (o *BackupOptions) completeBackupIDs(cmd *cobra.Command, prefix string) []string {
	s, err := o.session(cmd, "")
	if err != nil {
		return nil
	}
	entries, err := s.store.List(s.project.ID)
	if err != nil {
		return nil
	}
	var ids []string
	for _, e := range entries {
		if !strings.HasPrefix(e.ID, prefix) {
			continue
		}
		desc := e.CreatedAt.UTC().Format(time.RFC3339) + " " + orDash(e.Operation)
		if e.Reason != "" {
			desc += ": " + e.Reason
		}
		ids = append(ids, fmt.Sprintf("%s\t%s", e.ID, desc))
	}
	return ids
}

// completeIDThenConfig completes `backup show ID [CONFIG]` and `backup
// restore ID [CONFIG]`: a backup id, then a config.
func (o *BackupOptions) completeIDThenConfig(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return o.completeBackupIDs(cmd, prefix), cobra.ShellCompDirectiveNoFileComp
	}
	if len(args) == 1 {
		return starFiles(cmd, args, prefix)
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completeDiff completes `backup diff ID [ID2|live|CONFIG]`: a backup id,
// then another, live, or a file (the config).
func (o *BackupOptions) completeDiff(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return o.completeBackupIDs(cmd, prefix), cobra.ShellCompDirectiveNoFileComp
	case 1:
		ids := o.completeBackupIDs(cmd, prefix)
		if strings.HasPrefix("live", prefix) {
			ids = append(ids, "live\tthe live project")
		}
		// A path typed that matches none of them completes as a file.
		return ids, cobra.ShellCompDirectiveDefault
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}
