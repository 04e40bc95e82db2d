package render

import (
	"fmt"
	"io"

	"github.com/descope-run/descope-run/descope"
)

// FormatVersion is the version of the JSON plan format. It changes when a
// field changes meaning or goes away; new fields may appear within a version.
const FormatVersion = "1"

// JSONMeta is what the caller knows about a plan beyond the plan itself.
type JSONMeta struct {
	Target Target
	// Fingerprint identifies the live objects the plan was made from; apply
	// compares it to refuse a stale plan.
	Fingerprint string
	// InputsDigest is the digest of the configuration's inputs.
	InputsDigest string
	// ToolVersion is the version of descope-run that made the plan.
	ToolVersion string
}

// Target describes the project a plan is for.
type Target struct {
	// Description is the human line a plan starts with.
	Description string
	ProjectID   string
	// BaseURL is the Management API's base URL ("" for the local project).
	BaseURL string
	// Local is set for the embedded local project.
	Local bool
}

// JSON writes the plan as a versioned JSON document:
//
//	{
//	  "format_version": "1",
//	  "target": {"description", "project_id", "base_url", "local"},
//	  "fingerprint", "inputs_digest", "tool_version",
//	  "changes": [{"id", "kind", "key", "actions", "before", "after", "reason",
//	               "fields": [{"path", "before", "after", "sensitive"?}],
//	               "unchanged_fields", "deps"}],
//	  "unmanaged": {"<kind>": ["<id>", ...]},
//	  "summary": {"add", "change", "delete"}
//	}
//
// Changes are in execution order; "actions" is ["create"], ["update"],
// ["delete"] or, for a replace, ["delete", "create"]. "before" and "after"
// are the live and desired objects in their wire form (null when absent),
// secrets masked. Object keys are sorted and the output ends with a newline,
// so equal plans give equal bytes.
func JSON(w io.Writer, p *descope.Plan, meta JSONMeta) error {
	changes := make([]any, 0, len(p.Changes))
	for _, c := range p.Changes {
		jc, err := jsonChange(c)
		if err != nil {
			return err
		}
		changes = append(changes, jc)
	}
	unmanaged := map[string]any{}
	for k, ids := range p.Unmanaged {
		if len(ids) > 0 {
			unmanaged[string(k)] = ids
		}
	}
	add, change, destroy := p.Summary()
	doc := map[string]any{
		"format_version": FormatVersion,
		"target": map[string]any{
			"description": meta.Target.Description,
			"project_id":  meta.Target.ProjectID,
			"base_url":    meta.Target.BaseURL,
			"local":       meta.Target.Local,
		},
		"fingerprint":   meta.Fingerprint,
		"inputs_digest": meta.InputsDigest,
		"tool_version":  meta.ToolVersion,
		"changes":       changes,
		"unmanaged":     unmanaged,
		"summary":       map[string]any{"add": add, "change": change, "delete": destroy},
	}
	s, err := encode(doc, "", "  ")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, s+"\n"); err != nil {
		return fmt.Errorf("render: write plan: %w", err)
	}
	return nil
}

func jsonChange(c *descope.Change) (map[string]any, error) {
	before, err := plain(c.Before)
	if err != nil {
		return nil, fmt.Errorf("render: %s: %w", c.ID, err)
	}
	after, err := plain(c.After)
	if err != nil {
		return nil, fmt.Errorf("render: %s: %w", c.ID, err)
	}
	fields := make([]any, 0, len(c.Fields))
	for _, f := range c.Fields {
		fb, fa, err := fieldValues(f)
		if err != nil {
			return nil, fmt.Errorf("render: %s field %s: %w", c.ID, f.Path, err)
		}
		jf := map[string]any{"path": f.Path, "before": fb, "after": fa}
		if f.Sensitive {
			jf["sensitive"] = true
		}
		fields = append(fields, jf)
	}
	deps := c.Deps
	if deps == nil {
		deps = []string{}
	}
	return map[string]any{
		"id":               c.ID,
		"kind":             string(c.Kind),
		"key":              c.Key,
		"actions":          actions(c.Action),
		"before":           before,
		"after":            after,
		"reason":           c.Reason,
		"fields":           fields,
		"unchanged_fields": c.UnchangedFields,
		"deps":             deps,
	}, nil
}
