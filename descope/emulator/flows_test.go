package emulator

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"testing"
)

func TestBuiltinFlowsCannotBeDeleted(t *testing.T) {
	_, c := newTest(t)
	c.post("/v2/mgmt/flow/import", map[string]any{"flow": map[string]any{"flowId": "custom", "contents": map[string]any{}}})
	for _, id := range builtinFlows {
		r := c.do(http.MethodPost, "/v1/mgmt/flow/delete", map[string]any{"ids": []string{"custom", id}})
		wantError(t, r, http.StatusBadRequest, CodeInvalidArguments, "built-in")
	}
	if got := c.post("/v1/mgmt/flow/list", nil)["total"]; got != float64(5) {
		t.Errorf("after refused deletes, total = %v, want 5 (nothing deleted)", got)
	}
	c.post("/v1/mgmt/flow/delete", map[string]any{"ids": []string{"custom"}})
	if got := c.post("/v1/mgmt/flow/list", nil)["total"]; got != float64(4) {
		t.Errorf("after deleting custom, total = %v, want 4", got)
	}
}

func TestFlowListItems(t *testing.T) {
	_, c := newTest(t)
	r := c.do(http.MethodPost, "/v1/mgmt/flow/list", nil)
	var list struct {
		Flows []map[string]any `json:"flows"`
		Total int              `json:"total"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatal(err)
	}
	if list.Total != len(list.Flows) {
		t.Errorf("total %d, %d flows", list.Total, len(list.Flows))
	}
	for _, f := range list.Flows {
		if _, ok := f["modifiedTime"].(string); !ok {
			t.Errorf("flow %v: modifiedTime %#v is not a string", f["id"], f["modifiedTime"])
		}
		for _, k := range []string{"id", "name", "description", "disabled", "version", "etag"} {
			if _, ok := f[k]; !ok {
				t.Errorf("flow %v lacks %s", f["id"], k)
			}
		}
	}
}

func TestFlowImportExportRoundTrip(t *testing.T) {
	clock := newFakeClock()
	_, c := newTest(t, WithClock(clock.Now))
	orig := c.post("/v2/mgmt/flow/export", map[string]any{"flowId": "sign-up-or-in"})["flow"].(map[string]any)
	// What the Go SDK does: set flowId on the exported map and wrap it.
	copied := maps.Clone(orig)
	copied["flowId"] = "sign-up-or-in-copy"
	c.post("/v2/mgmt/flow/import", map[string]any{"flow": copied})
	got := c.post("/v2/mgmt/flow/export", map[string]any{"flowId": "sign-up-or-in-copy"})["flow"].(map[string]any)
	if !reflect.DeepEqual(stripVolatile(got), stripVolatile(copied)) {
		t.Errorf("export after import differs beyond the volatile fields:\n got %v\nwant %v", got, copied)
	}
	list := c.post("/v1/mgmt/flow/list", map[string]any{"ids": []string{"sign-up-or-in-copy"}})["flows"].([]any)[0].(map[string]any)
	if list["name"] != "Sign Up or In" || list["modifiedTime"] != jsonString(clock.Now().UnixMilli()) {
		t.Errorf("list item of the copy = %v", list)
	}
}

func jsonString(v int64) string { b, _ := json.Marshal(v); return string(b) }

// stripVolatile returns a copy of doc without metadata.fingerprint and
// metadata.version.
func stripVolatile(doc map[string]any) map[string]any {
	out := maps.Clone(doc)
	meta := maps.Clone(doc["metadata"].(map[string]any))
	delete(meta, "fingerprint")
	delete(meta, "version")
	out["metadata"] = meta
	return out
}

func TestFlowVolatileFieldsChangeOnImport(t *testing.T) {
	_, c := newTest(t)
	export := func() map[string]any {
		return c.post("/v2/mgmt/flow/export", map[string]any{"flowId": "sign-in"})["flow"].(map[string]any)
	}
	before := export()
	meta := before["metadata"].(map[string]any)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(meta["fingerprint"].(string)) || meta["version"] != float64(1) {
		t.Fatalf("metadata = %v: want a hex fingerprint and version 1", meta)
	}
	c.post("/v2/mgmt/flow/import", map[string]any{"flow": before}) // unchanged document, volatile fields included
	after := export()
	am := after["metadata"].(map[string]any)
	if am["fingerprint"] == meta["fingerprint"] || am["version"] != float64(2) {
		t.Errorf("after import, metadata = %v: want a new fingerprint and version 2", am)
	}
	if !reflect.DeepEqual(stripVolatile(before), stripVolatile(after)) {
		t.Error("re-importing an export changed more than the volatile fields")
	}
}

func TestFlowImportOverwrites(t *testing.T) {
	_, c := newTest(t)
	c.post("/v2/mgmt/flow/import", map[string]any{"flow": map[string]any{"flowId": "sign-in", "metadata": map[string]any{"name": "Mine"}, "contents": map[string]any{}}})
	doc := c.post("/v2/mgmt/flow/export", map[string]any{"flowId": "sign-in"})["flow"].(map[string]any)
	if doc["metadata"].(map[string]any)["name"] != "Mine" || len(doc["contents"].(map[string]any)) != 0 {
		t.Errorf("import did not overwrite the built-in flow: %v", doc)
	}
	if got := c.post("/v1/mgmt/flow/list", nil)["total"]; got != float64(4) {
		t.Errorf("total = %v, want 4", got)
	}
}

func TestThemeImportExport(t *testing.T) {
	_, c := newTest(t)
	theme := map[string]any{"styles": map[string]any{"light": map[string]any{"x": "1"}, "dark": map[string]any{}},
		"componentsVersion": "2.0.0", "references": map[string]any{}}
	c.post("/v2/mgmt/theme/import", map[string]any{"theme": theme})
	got := c.post("/v2/mgmt/theme/export", nil)["theme"]
	if !reflect.DeepEqual(got, theme) {
		t.Errorf("theme after import = %v, want %v", got, theme)
	}
	r := c.do(http.MethodPost, "/v2/mgmt/theme/import", `{"theme":{"styles":"x"}}`)
	wantError(t, r, http.StatusBadRequest, CodeBadRequest, "styles field must be an object")
}
