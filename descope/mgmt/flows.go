package mgmt

import (
	"context"
	"fmt"
	"maps"
	"net/http"
)

// ListFlows returns every flow's metadata. The request has an empty body, as
// the SDK sends it.
func (c *Client) ListFlows(ctx context.Context) ([]*FlowMeta, error) {
	var res struct {
		Flows []*FlowMeta `json:"flows"`
	}
	err := c.do(ctx, &call{op: "flow list", method: http.MethodPost, path: "/v1/mgmt/flow/list", out: &res})
	return res.Flows, err
}

// ExportFlow returns flow id's v2 document {flowId, metadata, contents,
// screens, references}: the value of the response's "flow" (nil when absent).
func (c *Client) ExportFlow(ctx context.Context, id string) (map[string]any, error) {
	op := fmt.Sprintf("flow export %q", id)
	if id == "" {
		return nil, fmt.Errorf("%s: %w: empty id", op, ErrInvalidArgument)
	}
	var res struct {
		Flow map[string]any `json:"flow"`
	}
	err := c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v2/mgmt/flow/export",
		body: map[string]any{"flowId": id}, out: &res})
	return res.Flow, err
}

// ImportFlow creates or overwrites flow id with doc, a v2 document. It sends
// {"flow": doc} with doc's flowId set to id, like the SDK, but without
// changing the caller's map.
func (c *Client) ImportFlow(ctx context.Context, id string, doc map[string]any) error {
	op := fmt.Sprintf("flow import %q", id)
	if id == "" {
		return fmt.Errorf("%s: %w: empty id", op, ErrInvalidArgument)
	}
	flow := maps.Clone(doc)
	if flow == nil {
		flow = map[string]any{}
	}
	flow["flowId"] = id
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v2/mgmt/flow/import",
		body: map[string]any{"flow": flow}, kind: kindWrite})
}

// DeleteFlows deletes the flows ids (at least one).
func (c *Client) DeleteFlows(ctx context.Context, ids []string) error {
	op := fmt.Sprintf("flow delete %q", ids)
	if len(ids) == 0 {
		return fmt.Errorf("%s: %w: no ids", op, ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: op, method: http.MethodPost, path: "/v1/mgmt/flow/delete",
		body: map[string]any{"ids": ids}, kind: kindDelete})
}

// ExportTheme returns the project theme {styles, componentsVersion,
// references}: the value of the response's "theme". The request has an empty
// body, as the SDK sends it.
func (c *Client) ExportTheme(ctx context.Context) (map[string]any, error) {
	var res struct {
		Theme map[string]any `json:"theme"`
	}
	err := c.do(ctx, &call{op: "theme export", method: http.MethodPost, path: "/v2/mgmt/theme/export", out: &res})
	return res.Theme, err
}

// ImportTheme replaces the project theme with theme.
func (c *Client) ImportTheme(ctx context.Context, theme map[string]any) error {
	if theme == nil {
		return fmt.Errorf("theme import: %w: nil theme", ErrInvalidArgument)
	}
	return c.do(ctx, &call{op: "theme import", method: http.MethodPost, path: "/v2/mgmt/theme/import",
		body: map[string]any{"theme": theme}, kind: kindWrite})
}
