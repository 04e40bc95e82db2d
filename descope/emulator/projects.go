package emulator

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// The emulator's projects: its own, and those cloned from it.
//
// POST /v1/mgmt/project/clone, /v1/mgmt/project/delete and
// /v1/mgmt/projects/list are served as the official Go SDK (v1.30.0,
// descope/internal/mgmt/project.go and descope/types.go) calls them
// (docs/descope-api.md section 4.4):
//
//   - clone takes {name, environment: "" | "production", tags} and answers
//     descope.CloneProjectResponse {projectId, projectName, environment,
//     tags}. The clone has the project's configuration (flows, theme,
//     permissions, project roles, tenant custom attribute definitions)
//     and, as Descope says, none of its tenants, users or access keys.
//   - delete takes no body and deletes the project the request names;
//     deleting a company's last project is refused (400 E073008, "Cannot
//     delete last project", the code a community provider's harness met).
//   - projects/list takes no body and answers {"projects": [descope.Project
//     {id, name, environment, tags}]}. It accepts the project-scoped
//     "Bearer <projectId>:<key>" the SDK sends when a project id is set, and
//     the company-level "Bearer <key>".
//
// Every project accepts the same management key, as a company key does. A
// clone lives in memory for as long as the emulator: only the emulator's own
// project is kept in its state file, and deleting that one lasts until the
// emulator starts again.

// companyPath is the one endpoint a company-level key may call.
const companyPath = "/v1/mgmt/projects/list"

// company is the set of projects an emulator serves.
type company struct {
	mu      sync.Mutex
	home    *Emulator
	live    map[string]*Emulator // by project id; the home project too, until deleted
	gone    map[string]bool      // deleted project ids
	created []string             // project ids in creation order
}

func newCompany(home *Emulator) *company {
	return &company{home: home, live: map[string]*Emulator{home.projectID: home}, gone: map[string]bool{}, created: []string{home.projectID}}
}

// get returns the live project of id, or nil.
func (c *company) get(id string) *Emulator {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live[id]
}

func (c *company) deleted(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone[id]
}

// projectNotFound is 404 E011008, the code descopecli looks for after
// projects/list (docs/descope-api.md section 2.2).
func projectNotFound(id string) *apiError {
	return &apiError{http.StatusNotFound, "E011008", "Project not found", "project " + quote(id) + " not found (it was deleted)"}
}

func quote(s string) string { return `"` + s + `"` }

// projectEnvironments are the values a project's environment takes
// (docs/descope-api.md section 4.4).
var projectEnvironments = []string{"", "production"}

// projectJSON is an item of projects/list (descope.Project).
type projectJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Environment string   `json:"environment"`
	Tags        []string `json:"tags"`
}

func (e *Emulator) projectClone(c *call) (any, error) {
	var req struct {
		Name        string   `json:"name"`
		Environment string   `json:"environment"`
		Tags        []string `json:"tags"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, missingField("name")
	}
	if !slices.Contains(projectEnvironments, req.Environment) {
		return nil, invalid("environment %q is not \"\" or \"production\"", req.Environment)
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	st := e.st.configCopy() // the route holds e.mu for reading
	st.Name, st.Environment, st.Tags = req.Name, req.Environment, slices.Clone(nonNil(req.Tags))

	co := e.company
	co.mu.Lock()
	defer co.mu.Unlock()
	var id string
	for id == "" || co.live[id] != nil || co.gone[id] {
		id = e.draws.id("P", 27)
	}
	st.ProjectID = id
	clone := &Emulator{
		projectID: id, key: e.key, clock: e.clock, logger: e.logger,
		ids: newIDSource(e.draws.uint64(), e.draws.uint64()), draws: e.draws,
		limiter: e.limiter, closing: e.closing, st: st, company: co,
	}
	co.live[id] = clone
	co.created = append(co.created, id)
	return map[string]any{"projectId": id, "projectName": st.Name, "environment": st.Environment, "tags": st.Tags}, nil
}

func (e *Emulator) projectDelete(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	co := e.company
	co.mu.Lock()
	defer co.mu.Unlock()
	if len(co.live) == 1 {
		return nil, &apiError{http.StatusBadRequest, "E073008", "Invalid argument", "Cannot delete last project"}
	}
	delete(co.live, e.projectID)
	co.gone[e.projectID] = true
	return empty{}, nil
}

func (e *Emulator) projectsList(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	co := e.company
	co.mu.Lock()
	live := maps.Clone(co.live)
	order := slices.Clone(co.created)
	co.mu.Unlock()
	out := []projectJSON{}
	for _, id := range slices.Backward(order) { // newest first, as every list
		p := live[id]
		if p == nil {
			continue
		}
		if p != e { // the route holds e.mu for reading already
			p.mu.RLock()
		}
		out = append(out, projectJSON{ID: id, Name: p.st.Name, Environment: p.st.Environment, Tags: slices.Clone(p.st.Tags)})
		if p != e {
			p.mu.RUnlock()
		}
	}
	return map[string]any{"projects": out}, nil
}

// configCopy returns a new project holding st's configuration: flows,
// theme, permissions, project roles and tenant custom attribute
// definitions; no tenants (nor their roles).
func (st *store) configCopy() *store {
	c := st.clone()
	c.Tenants = map[string]*tenant{}
	c.tenantNames = map[string]string{}
	c.domainOwners = map[string]string{}
	for id, r := range c.Roles {
		if r.TenantID != "" {
			delete(c.Roles, id)
		}
	}
	c.Generation, c.JournalSeq, c.ManagementKey = "", 0, ""
	return c
}
