package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

func jsonText(t *testing.T, p *descope.Plan, meta JSONMeta) string {
	t.Helper()
	var b bytes.Buffer
	if err := JSON(&b, p, meta); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	return b.String()
}

var testMeta = JSONMeta{
	Target:       Target{Description: "project P2abc (https://api.descope.com)", ProjectID: "P2abc", BaseURL: "https://api.descope.com"},
	Fingerprint:  "live-fp",
	InputsDigest: "inputs-fp",
	ToolVersion:  "v0.1.0",
}

func TestJSONGolden(t *testing.T) {
	live := &descope.State{
		Roles:   []*descope.Role{{Name: "Viewer", Tenant: "acme"}},
		Tenants: []*descope.Tenant{{ID: "acme", Name: "Acme"}, {ID: "zeta", Name: "Zeta"}},
	}
	desired := &descope.State{
		Permissions: []*descope.Permission{{Name: "edit"}},
		Roles:       []*descope.Role{{Name: "Viewer", Permissions: &[]string{"edit"}}},
		Tenants:     []*descope.Tenant{{ID: "acme", Attributes: &map[string]any{"token": "t0k3n"}}},
		Owns:        []*descope.Ownership{{Kind: descope.KindRole, Match: "*", Origin: ownedAt}},
	}
	got := jsonText(t, descope.Diff(live, desired), testMeta)
	want := `{
  "changes": [
    {
      "actions": [
        "create"
      ],
      "after": {
        "name": "edit"
      },
      "before": null,
      "deps": [],
      "fields": [],
      "id": "permission:edit",
      "key": "edit",
      "kind": "permission",
      "reason": "",
      "unchanged_fields": 0
    },
    {
      "actions": [
        "update"
      ],
      "after": {
        "customAttributes": {
          "token": "(sensitive)"
        },
        "id": "acme",
        "name": ""
      },
      "before": {
        "id": "acme",
        "name": "Acme"
      },
      "deps": [],
      "fields": [
        {
          "after": "(sensitive)",
          "before": null,
          "path": "customAttributes.token",
          "sensitive": true
        }
      ],
      "id": "tenant:acme",
      "key": "acme",
      "kind": "tenant",
      "reason": "",
      "unchanged_fields": 0
    },
    {
      "actions": [
        "delete",
        "create"
      ],
      "after": {
        "name": "Viewer",
        "permissionNames": [
          "edit"
        ]
      },
      "before": {
        "name": "Viewer",
        "tenantId": "acme"
      },
      "deps": [
        "permission:edit"
      ],
      "fields": [
        {
          "after": [
            "edit"
          ],
          "before": [],
          "path": "permissionNames"
        },
        {
          "after": "",
          "before": "acme",
          "path": "tenantId"
        }
      ],
      "id": "role:Viewer",
      "key": "Viewer",
      "kind": "role",
      "reason": "the role moves from tenant \"acme\" to the project, and the API cannot change a role's tenant; the old role is owned by own(\"role\", \"*\") at main.star:3:1",
      "unchanged_fields": 0
    }
  ],
  "fingerprint": "live-fp",
  "format_version": "1",
  "inputs_digest": "inputs-fp",
  "summary": {
    "add": 2,
    "change": 1,
    "delete": 1
  },
  "target": {
    "base_url": "https://api.descope.com",
    "description": "project P2abc (https://api.descope.com)",
    "local": false,
    "project_id": "P2abc"
  },
  "tool_version": "v0.1.0",
  "unmanaged": {
    "tenant": [
      "zeta"
    ]
  }
}
`
	checkText(t, got, want)
}

func TestJSONEmptyPlan(t *testing.T) {
	got := jsonText(t, descope.Diff(nil, nil), JSONMeta{Target: Target{Description: "local project", Local: true}})
	want := `{
  "changes": [],
  "fingerprint": "",
  "format_version": "1",
  "inputs_digest": "",
  "summary": {
    "add": 0,
    "change": 0,
    "delete": 0
  },
  "target": {
    "base_url": "",
    "description": "local project",
    "local": true,
    "project_id": ""
  },
  "tool_version": "",
  "unmanaged": {}
}
`
	checkText(t, got, want)
}

func TestJSONMasksSecretsEverywhere(t *testing.T) {
	secretDoc := func(secret string) map[string]any {
		return map[string]any{"contents": map[string]any{"tasks": map[string]any{"1": map[string]any{
			"arguments": map[string]any{"apiKey": secret, "url": "https://example.com"},
		}}}}
	}
	live := &descope.State{
		Flows:   []*descope.Flow{{ID: "f", Document: secretDoc("live-secret")}},
		Tenants: []*descope.Tenant{{ID: "t", Attributes: &map[string]any{"client_secret": "live-secret"}}},
	}
	desired := &descope.State{
		Flows:   []*descope.Flow{{ID: "f", Document: secretDoc("new-secret")}, {ID: "g", Document: secretDoc("new-secret")}},
		Tenants: []*descope.Tenant{{ID: "t", Attributes: &map[string]any{"client_secret": "new-secret"}}},
	}
	p := descope.Diff(live, desired)
	if len(p.Changes) != 3 {
		t.Fatalf("want 3 changes, got %d", len(p.Changes))
	}
	for _, out := range []string{jsonText(t, p, testMeta), text(t, p, TextOptions{})} {
		if strings.Contains(out, "live-secret") || strings.Contains(out, "new-secret") {
			t.Errorf("a secret leaked:\n%s", out)
		}
		if !strings.Contains(out, Masked) {
			t.Errorf("no masked value:\n%s", out)
		}
	}
	if got := live.Flows[0].Document["contents"].(map[string]any)["tasks"].(map[string]any)["1"].(map[string]any)["arguments"].(map[string]any)["apiKey"]; got != "live-secret" {
		t.Errorf("rendering modified the plan's objects: apiKey = %v", got)
	}
}

func TestJSONIsDeterministicAndValid(t *testing.T) {
	first := jsonText(t, mixedPlan(), testMeta)
	for range 10 {
		if got := jsonText(t, mixedPlan(), testMeta); got != first {
			t.Fatalf("same plan, different JSON:\n%s\nversus\n%s", got, first)
		}
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Changes       []struct {
			ID      string   `json:"id"`
			Actions []string `json:"actions"`
		} `json:"changes"`
		Summary struct{ Add, Change, Delete int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(first), &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	var ids []string
	for _, c := range doc.Changes {
		ids = append(ids, c.ID+" "+strings.Join(c.Actions, "+"))
	}
	wantIDs := "tenant:beta update, tenant:cust-old delete, tenant:holding create, tenant:acme delete+create"
	if got := strings.Join(ids, ", "); got != wantIDs || doc.FormatVersion != "1" {
		t.Errorf("changes = %s (format %q), want %s", got, doc.FormatVersion, wantIDs)
	}
	if doc.Summary.Add != 2 || doc.Summary.Change != 1 || doc.Summary.Delete != 2 {
		t.Errorf("summary = %+v, want add 2, change 1, delete 2", doc.Summary)
	}
}
