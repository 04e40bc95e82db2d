package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// flowMetaJSON is an item of flow/list (docs/descope-api.md section 4.2).
// modifiedTime is a string, as the real API's int64 fields are.
//
// It is not mgmt.FlowMeta, which holds only what the client reads: it lacks
// version, etag and fingerprint, and it leaves modifiedTime out when empty,
// where the emulator must always send it.
type flowMetaJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Disabled     bool   `json:"disabled"`
	Version      int64  `json:"version"`
	Etag         string `json:"etag"`
	ModifiedTime string `json:"modifiedTime"`
	Fingerprint  string `json:"fingerprint"`
}

func (f *flow) metaJSON() flowMetaJSON {
	desc, _ := f.meta()["description"].(string)
	disabled, _ := f.meta()["disabled"].(bool)
	return flowMetaJSON{
		ID:           f.ID,
		Name:         f.name(),
		Description:  desc,
		Disabled:     disabled,
		Version:      f.Version,
		Etag:         f.Fingerprint[:min(16, len(f.Fingerprint))],
		ModifiedTime: strconv.FormatInt(f.ModifiedTime, 10),
		Fingerprint:  f.Fingerprint,
	}
}

// exportDoc returns the flow's v2 document with its volatile fields
// (metadata.fingerprint and metadata.version) filled in. It shares the
// stored values below the first two levels, so it is read-only.
func (f *flow) exportDoc() map[string]any {
	doc := maps.Clone(f.Document)
	meta := maps.Clone(f.meta())
	meta["fingerprint"] = f.Fingerprint
	meta["version"] = json.Number(strconv.FormatInt(f.Version, 10))
	doc["metadata"] = meta
	doc["flowId"] = f.ID
	return doc
}

func (e *Emulator) flowList(c *call) (any, error) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	var list []*flow
	for _, f := range e.st.Flows {
		if len(req.IDs) == 0 || slices.Contains(req.IDs, f.ID) {
			list = append(list, f)
		}
	}
	newestFirst(list, func(f *flow) uint64 { return f.Seq })
	out := make([]flowMetaJSON, len(list))
	for i, f := range list {
		out[i] = f.metaJSON()
	}
	return struct {
		Flows []flowMetaJSON `json:"flows"`
		Total int            `json:"total"`
	}{out, len(out)}, nil
}

// flowDelete deletes every listed flow, or none: a built-in flow is refused
// (400 E011004) and an unknown one is 404.
func (e *Emulator) flowDelete(c *call) (any, error) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.IDs) == 0 {
		return nil, missingField("ids")
	}
	for _, id := range req.IDs {
		if isBuiltinFlow(id) {
			return nil, invalid("flow %q is a built-in flow and cannot be deleted", id)
		}
		if e.st.Flows[id] == nil {
			return nil, notFound("flow", id)
		}
	}
	for _, id := range req.IDs {
		delete(e.st.Flows, id)
	}
	return empty{}, nil
}

// builtinFlows are the flows of a new project, which cannot be deleted.
var builtinFlows = []string{"sign-up-or-in", "sign-up", "sign-in", "step-up"}

func isBuiltinFlow(id string) bool { return slices.Contains(builtinFlows, id) }

func (e *Emulator) flowExport(c *call) (any, error) {
	var req struct {
		FlowID string `json:"flowId"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.FlowID == "" {
		return nil, missingField("flowId")
	}
	f := e.st.Flows[req.FlowID]
	if f == nil {
		return nil, invalid("flow %q does not exist", req.FlowID)
	}
	return map[string]any{"flow": f.exportDoc()}, nil
}

func (e *Emulator) flowImport(c *call) (any, error) {
	var req struct {
		Flow       map[string]any `json:"flow"`
		SkipRender bool           `json:"skipRender"`
		Changelog  string         `json:"changelog"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Flow == nil {
		return nil, missingField("flow")
	}
	id, doc, err := parseFlowDoc(req.Flow)
	if err != nil {
		return nil, err
	}
	e.st.putFlow(id, doc, c.now, e.ids)
	return empty{}, nil
}

// putFlow creates or overwrites a flow. Every import is a new version with a
// new fingerprint, even when the document is unchanged.
func (st *store) putFlow(id string, doc map[string]any, now time.Time, ids *idSource) {
	f := st.Flows[id]
	if f == nil {
		f = &flow{Seq: st.next(), ID: id}
		st.Flows[id] = f
	}
	f.Document = doc
	f.Version++
	f.Fingerprint = ids.hex(32)
	f.ModifiedTime = now.UnixMilli()
}

// parseFlowDoc validates a v2 flow document and returns its id and a copy
// fit to store: every top-level part present, volatile fields removed.
func parseFlowDoc(in map[string]any) (string, map[string]any, error) {
	id, err := str(in, "flowId", "flowId")
	if err != nil {
		return "", nil, err
	}
	if id == "" {
		return "", nil, missingField("flowId")
	}
	if err := checkFlowID(id); err != nil {
		return "", nil, err
	}
	doc := deepCopy(in).(map[string]any)
	meta, err := object(doc, "metadata", "metadata")
	if err != nil {
		return "", nil, err
	}
	for _, k := range []string{"name", "description", "componentsVersion"} {
		if _, err := str(meta, k, "metadata."+k); err != nil {
			return "", nil, err
		}
	}
	if v, ok := meta["disabled"]; ok && v != nil {
		if _, ok := v.(bool); !ok {
			return "", nil, badRequest("the metadata.disabled field must be a boolean, not %s", kindOf(v))
		}
	}
	delete(meta, "fingerprint")
	delete(meta, "version")
	doc["metadata"] = meta
	contents := doc["contents"]
	for _, k := range []string{"contents", "references"} {
		if doc[k], err = object(doc, k, k); err != nil {
			return "", nil, err
		}
	}
	screens, err := parseScreens(doc["screens"])
	if err != nil {
		return "", nil, err
	}
	doc["screens"] = screens
	// A flow is its graph: a document without contents (such as {}) is not
	// a flow export, as a theme without styles is not a theme.
	if contents == nil {
		return "", nil, missingField("contents")
	}
	doc["flowId"] = id
	return id, doc, nil
}

func parseScreens(v any) ([]any, error) {
	if v == nil {
		return []any{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, badRequest("the screens field must be a list, not %s", kindOf(v))
	}
	for i, s := range list {
		field := fmt.Sprintf("screens[%d]", i)
		screen, ok := s.(map[string]any)
		if !ok {
			return nil, badRequest("the %s field must be an object, not %s", field, kindOf(s))
		}
		id, err := str(screen, "screenId", field+".screenId")
		if err != nil {
			return nil, err
		}
		if id == "" {
			return nil, missingField(field + ".screenId")
		}
	}
	return list, nil
}

// checkFlowID applies the flow id rule Descope's tools use:
// ^[A-Za-z0-9_-]+$.
func checkFlowID(id string) error {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return invalid("flow id %q may hold only letters, digits, '-' and '_'", id)
		}
	}
	return nil
}

func (e *Emulator) themeExport(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	return map[string]any{"theme": e.st.Theme}, nil
}

func (e *Emulator) themeImport(c *call) (any, error) {
	var req struct {
		Theme map[string]any `json:"theme"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Theme == nil {
		return nil, missingField("theme")
	}
	doc, err := parseThemeDoc(req.Theme)
	if err != nil {
		return nil, err
	}
	e.st.Theme = doc
	return empty{}, nil
}

// parseThemeDoc validates a v2 theme document {styles, componentsVersion,
// references} and returns a copy fit to store.
func parseThemeDoc(in map[string]any) (map[string]any, error) {
	doc := deepCopy(in).(map[string]any)
	if doc["styles"] == nil {
		return nil, missingField("styles")
	}
	var err error
	for _, k := range []string{"styles", "references"} {
		if doc[k], err = object(doc, k, k); err != nil {
			return nil, err
		}
	}
	if _, err := str(doc, "componentsVersion", "componentsVersion"); err != nil {
		return nil, err
	}
	return doc, nil
}
