package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Project snapshots: POST /v1/mgmt/project/snapshot/export, /import and
// /validate (docs/descope-api.md section 4.4).
//
// What the emulator relies on, from the official Go SDK (v1.30.0,
// descope/internal/mgmt/project.go and descope/types.go):
//
//   - export takes {} (or {"format":"plain"}) and answers {"files": {path:
//     object}};
//   - import takes {"files", "inputSecrets"?, "excludes"?} and answers {};
//   - validate takes {"files", "inputSecrets"?} and answers {"ok",
//     "failures": [...], "missingSecrets": {connectors, oauthProviders,
//     outboundApps}}.
//
// The files are the emulator's own layout, since the real one is known only
// in part (section 7): project.json ({name, tags}, which descope-run's
// client reads); per flow, as descopecli writes one (section 4.4),
// flows/<id>/metadata.json (the metadata, with the screen ids under
// "screens" and the references under "references"), flows/<id>/contents.json
// and flows/<id>/screen-<screenId>.json; styles/theme.json;
// authorization/permissions.json ({permissions: [{name, description}]}) and
// authorization/roles.json ({roles: [...]}, the project's roles, not the
// tenants'); attributes/tenant.json ({attributes: [...]}, the tenant custom
// attribute definitions, see attributes.go). A snapshot holds no tenants, as
// Descope's does not.
//
// An import applies the files the export gives: every kind the snapshot has
// files for is replaced whole (the flows, the theme, the permissions with
// the project roles), built-in flows excepted, which cannot be deleted; a
// kind without files is left alone; files the emulator does not model (a
// real project's connectors, settings, ...) are ignored. Validate reports,
// without changing anything, every failure import would stop at: a file
// that is missing (project.json, a flow's contents, a screen its metadata
// lists), a file that is not what its path says, a role granting a
// permission that neither the snapshot nor the project defines. The
// emulator has no connectors, OAuth providers or outbound apps, so no
// secret is ever missing.

const (
	snapshotProject     = "project.json"
	snapshotTheme       = "styles/theme.json"
	snapshotPermissions = "authorization/permissions.json"
	snapshotRoles       = "authorization/roles.json"
	snapshotAttributes  = "attributes/tenant.json"
)

func (e *Emulator) snapshotExport(c *call) (any, error) {
	var req struct {
		Format string `json:"format"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Format != "" && req.Format != "plain" {
		return nil, invalid("format %q is not \"plain\"", req.Format)
	}
	return map[string]any{"files": e.st.snapshotFiles()}, nil
}

// snapshotFiles returns the project's configuration as snapshot files.
func (st *store) snapshotFiles() map[string]any {
	files := map[string]any{
		snapshotProject: map[string]any{"name": st.Name, "tags": nonNil(st.Tags)},
		snapshotTheme:   st.Theme,
	}
	for id, f := range st.Flows {
		meta := maps.Clone(f.meta())
		if meta == nil {
			meta = map[string]any{}
		}
		screens, _ := f.Document["screens"].([]any)
		ids := []any{}
		for _, s := range screens {
			screen, _ := s.(map[string]any)
			sid, _ := screen["screenId"].(string)
			ids = append(ids, sid)
			files["flows/"+id+"/screen-"+sid+".json"] = screen
		}
		meta["screens"] = ids
		meta["references"] = nonNilMap(asObject(f.Document["references"]))
		files["flows/"+id+"/metadata.json"] = meta
		files["flows/"+id+"/contents.json"] = nonNilMap(asObject(f.Document["contents"]))
	}
	var perms []any
	for _, p := range newestFirst(slices.Collect(maps.Values(st.Permissions)), func(p *permission) uint64 { return p.Seq }) {
		perms = append(perms, map[string]any{"name": p.Name, "description": p.Description})
	}
	files[snapshotPermissions] = map[string]any{"permissions": nonNil(perms)}
	var roles []any
	for _, r := range newestFirst(slices.Collect(maps.Values(st.Roles)), func(r *role) uint64 { return r.Seq }) {
		if r.TenantID == "" {
			roles = append(roles, map[string]any{"name": r.Name, "description": r.Description,
				"permissionNames": nonNil(r.PermissionNames), "default": r.Default, "private": r.Private})
		}
	}
	files[snapshotRoles] = map[string]any{"roles": nonNil(roles)}
	attrs := []any{}
	for _, name := range sortedKeys(st.TenantAttributes) {
		attrs = append(attrs, st.TenantAttributes[name])
	}
	files[snapshotAttributes] = map[string]any{"attributes": attrs}
	return files
}

func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// snapshot is a snapshot's files, read: what an import applies. A nil
// field is a kind the snapshot has no files for.
type snapshot struct {
	name        string
	tags        []string
	flows       map[string]map[string]any // v2 documents by id
	theme       map[string]any
	permissions []permissionRequest
	roles       []roleRequest
	attributes  map[string]*tenantAttribute
}

// readSnapshot reads files, collecting every failure.
func readSnapshot(files map[string]any) (*snapshot, []string) {
	s := &snapshot{}
	var failures []string
	fail := func(format string, args ...any) { failures = append(failures, fmt.Sprintf(format, args...)) }
	object := func(path string) (map[string]any, bool) {
		v, ok := files[path]
		if !ok {
			return nil, false
		}
		m, ok := v.(map[string]any)
		if !ok {
			fail("%s is not a JSON object", path)
		}
		return m, ok
	}
	if p, ok := object(snapshotProject); ok {
		s.name, _ = p["name"].(string)
		if strings.TrimSpace(s.name) == "" {
			fail("%s has no name", snapshotProject)
		}
		for _, t := range asList(p["tags"]) {
			tag, ok := t.(string)
			if !ok {
				fail("%s: tags must be strings", snapshotProject)
				continue
			}
			s.tags = append(s.tags, tag)
		}
		if err := checkTags(s.tags); err != nil {
			fail("%s: %v", snapshotProject, err)
		}
	} else if _, present := files[snapshotProject]; !present {
		fail("%s is missing", snapshotProject)
	}
	if th, ok := object(snapshotTheme); ok {
		if doc, err := parseThemeDoc(th); err != nil {
			fail("%s: %v", snapshotTheme, err)
		} else {
			s.theme = doc
		}
	}
	for _, id := range flowIDs(files) {
		dir := "flows/" + id + "/"
		meta, ok := object(dir + "metadata.json")
		if !ok {
			fail("%smetadata.json is missing", dir)
			continue
		}
		meta = maps.Clone(meta)
		doc := map[string]any{"flowId": id, "references": meta["references"]}
		screenIDs := asList(meta["screens"])
		delete(meta, "screens")
		delete(meta, "references")
		doc["metadata"] = meta
		if contents, ok := object(dir + "contents.json"); ok {
			doc["contents"] = contents
		} else if _, present := files[dir+"contents.json"]; !present {
			fail("%scontents.json is missing", dir)
			continue
		}
		screens := []any{}
		for _, sid := range screenIDs {
			name, _ := sid.(string)
			screen, ok := object(dir + "screen-" + name + ".json")
			if !ok {
				if _, present := files[dir+"screen-"+name+".json"]; !present {
					fail("%sscreen-%s.json is missing (%smetadata.json lists the screen)", dir, name, dir)
				}
				continue
			}
			screens = append(screens, screen)
		}
		doc["screens"] = screens
		if _, parsed, err := parseFlowDoc(doc); err != nil {
			fail("flow %q: %v", id, err)
		} else {
			if s.flows == nil {
				s.flows = map[string]map[string]any{}
			}
			s.flows[id] = parsed
		}
	}
	if p, ok := object(snapshotPermissions); ok {
		s.permissions = []permissionRequest{}
		for i, x := range asList(p["permissions"]) {
			m, _ := x.(map[string]any)
			name, _ := m["name"].(string)
			desc, _ := m["description"].(string)
			if name == "" {
				fail("%s: permissions[%d] has no name", snapshotPermissions, i)
				continue
			}
			s.permissions = append(s.permissions, permissionRequest{Name: name, NewName: name, Description: desc})
		}
	}
	if r, ok := object(snapshotRoles); ok {
		s.roles = []roleRequest{}
		for i, x := range asList(r["roles"]) {
			m, _ := x.(map[string]any)
			name, _ := m["name"].(string)
			if name == "" {
				fail("%s: roles[%d] has no name", snapshotRoles, i)
				continue
			}
			req := roleRequest{Name: name, NewName: name}
			req.Description, _ = m["description"].(string)
			req.Default, _ = m["default"].(bool)
			req.Private, _ = m["private"].(bool)
			for _, pn := range asList(m["permissionNames"]) {
				if n, ok := pn.(string); ok {
					req.PermissionNames = append(req.PermissionNames, n)
				}
			}
			s.roles = append(s.roles, req)
		}
	}
	if a, ok := object(snapshotAttributes); ok {
		s.attributes = map[string]*tenantAttribute{}
		for i, x := range asList(a["attributes"]) {
			var def tenantAttribute
			if err := fromJSONValue(x, &def); err != nil {
				fail("%s: attributes[%d]: %v", snapshotAttributes, i, err)
				continue
			}
			if err := def.check(); err != nil {
				fail("%s: attributes[%d]: %v", snapshotAttributes, i, err)
				continue
			}
			def.Options, def.ViewPermissions = nonNil(def.Options), nonNil(def.ViewPermissions)
			s.attributes[def.Name] = &def
		}
	}
	return s, failures
}

// fromJSONValue decodes a decoded JSON value into v, by a JSON round trip.
func fromJSONValue(x any, v any) error {
	b, err := json.Marshal(x)
	if err != nil {
		return err
	}
	return unmarshal(b, v)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// flowIDs returns the ids of the flows that files have files of, in order.
func flowIDs(files map[string]any) []string {
	seen := map[string]bool{}
	for path := range files {
		if rest, ok := strings.CutPrefix(path, "flows/"); ok {
			if id, _, ok := strings.Cut(rest, "/"); ok && id != "" {
				seen[id] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// apply replaces st's configuration with what s has (see the top of the
// file). It stops at the first failure; run it on a copy.
func (s *snapshot) apply(st *store, c *call, ids *idSource) error {
	st.Name, st.Tags = s.name, slices.Clone(nonNil(s.tags))
	if s.theme != nil {
		st.Theme = s.theme
	}
	if s.flows != nil {
		for _, id := range sortedKeys(s.flows) {
			st.putFlow(id, s.flows[id], c.now, ids)
		}
		for id := range st.Flows {
			if s.flows[id] == nil && !isBuiltinFlow(id) {
				delete(st.Flows, id)
			}
		}
	}
	if s.permissions != nil {
		keep := map[string]bool{}
		for _, p := range s.permissions {
			keep[p.Name] = true
			if existing := st.Permissions[p.Name]; existing != nil {
				existing.Description = p.Description
			} else if err := st.createPermission(p, ids); err != nil {
				return fmt.Errorf("%s: permission %q: %w", snapshotPermissions, p.Name, err)
			}
		}
		for name, p := range st.Permissions {
			if !keep[name] {
				st.deletePermission(p)
			}
		}
	}
	if s.roles != nil {
		keep := map[string]bool{}
		for _, r := range s.roles {
			keep[r.Name] = true
			var err error
			if st.role("", r.Name) != nil {
				_, err = st.updateRole(r)
			} else {
				_, err = st.createRole(r, c.now, ids)
			}
			if err != nil {
				return fmt.Errorf("%s: role %q: %w", snapshotRoles, r.Name, err)
			}
		}
		for _, r := range st.Roles {
			if r.TenantID == "" && !keep[r.Name] {
				st.deleteRole(r)
			}
		}
	}
	if s.attributes != nil {
		for name := range st.TenantAttributes {
			if s.attributes[name] == nil {
				if t := st.attributeUser(name); t != "" {
					return fmt.Errorf("%s: tenant attribute %q is in use by tenant %q, and the snapshot does not define it", snapshotAttributes, name, t)
				}
			}
		}
		st.TenantAttributes = s.attributes
	}
	return nil
}

// snapshotRequest is the body of import and validate.
type snapshotRequest struct {
	Files        map[string]any `json:"files"`
	InputSecrets map[string]any `json:"inputSecrets"`
	Excludes     []string       `json:"excludes"`
}

// checkSnapshot reads a snapshot and tries it on a copy of the project,
// returning what import would apply and every failure.
func (e *Emulator) checkSnapshot(c *call) (*snapshot, []string, error) {
	var req snapshotRequest
	if err := c.decode(&req); err != nil {
		return nil, nil, err
	}
	if req.Files == nil {
		return nil, nil, missingField("files")
	}
	s, failures := readSnapshot(req.Files)
	if len(failures) == 0 {
		if err := s.apply(e.st.clone(), c, newIDSource(0, 0)); err != nil {
			failures = append(failures, err.Error())
		}
	}
	return s, failures, nil
}

func (e *Emulator) snapshotValidate(c *call) (any, error) {
	_, failures, err := e.checkSnapshot(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"ok":             len(failures) == 0,
		"failures":       nonNil(failures),
		"missingSecrets": map[string]any{"connectors": []any{}, "oauthProviders": []any{}, "outboundApps": []any{}},
	}, nil
}

func (e *Emulator) snapshotImport(c *call) (any, error) {
	s, failures, err := e.checkSnapshot(c)
	if err != nil {
		return nil, err
	}
	if len(failures) > 0 {
		return nil, invalid("the snapshot cannot be imported: %s (validate lists every failure)", strings.Join(failures, "; "))
	}
	return empty{}, e.batch(func(st *store) error { return s.apply(st, c, e.ids) })
}
