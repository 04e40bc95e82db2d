package mgmt

import (
	"context"
	"fmt"
	"net/http"
)

// UpdateProjectName renames the project.
func (c *Client) UpdateProjectName(ctx context.Context, name string) error {
	if name == "" {
		return fmt.Errorf("project update name: %w: empty name", ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: fmt.Sprintf("project update name %q", name), method: http.MethodPost,
		path: "/v1/mgmt/project/update/name", body: map[string]any{"name": name}, kind: kindWrite})
}

// UpdateProjectTags replaces the project's tags.
func (c *Client) UpdateProjectTags(ctx context.Context, tags []string) error {
	return c.do(ctx, &call{op: fmt.Sprintf("project update tags %q", tags), method: http.MethodPost,
		path: "/v1/mgmt/project/update/tags", body: map[string]any{"tags": tags}, kind: kindWrite})
}

// ExportSnapshot returns the project snapshot's files: relative path to a
// JSON object, or to a string (base64 for binary assets, text otherwise).
// project.json holds the project's name and tags.
func (c *Client) ExportSnapshot(ctx context.Context) (map[string]any, error) {
	var res struct {
		Files map[string]any `json:"files"`
	}
	err := c.do(ctx, &call{op: "project snapshot export", method: http.MethodPost,
		path: "/v1/mgmt/project/snapshot/export", body: map[string]any{}, out: &res})
	return res.Files, err
}
