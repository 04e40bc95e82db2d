package emulator

import (
	"net/http"
	"sync"
)

// Running management flows: POST /v1/mgmt/flow/run, /v1/mgmt/flow/async/run
// and /v1/mgmt/flow/async/result (docs/descope-api.md section 4.2).
//
// What the emulator relies on, from the official Go SDK (v1.30.0,
// descope/internal/mgmt/flow.go and descope/types.go MgmtFlowOptions) and
// the Python SDK (descope/management/flow.py):
//
//   - run and async/run take {"flowId", "options": {"input": {...},
//     "preview": bool, "tenant": "..."}}; Python sends the three options at
//     the top level instead, which the emulator accepts too;
//   - run answers {"output": {...}}, which the Go SDK returns;
//   - async/run answers {"executionId": "..."} (the docs' response type);
//   - async/result takes {"executionId"} and answers {"output": {...}}.
//
// The emulator does not execute flows. It checks what it can (the flow
// exists and is a management flow, metadata.management; a tenant named in
// the options exists) and answers an empty output. Running a flow that does
// not exist fails with "Failed getting flow", the live wording (section
// 2.1). Results of asynchronous runs are kept in memory, the newest
// maxRuns of them.

// maxRuns bounds the results kept for async/result.
const maxRuns = 1000

// runs are the results of asynchronous runs.
type runs struct {
	mu    sync.Mutex
	out   map[string]map[string]any
	order []string
}

func (r *runs) put(id string, output map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.out == nil {
		r.out = map[string]map[string]any{}
	}
	r.out[id] = output
	r.order = append(r.order, id)
	if len(r.order) > maxRuns {
		delete(r.out, r.order[0])
		r.order = r.order[1:]
	}
}

func (r *runs) get(id string) (map[string]any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, ok := r.out[id]
	return out, ok
}

// flowRunOptions are the options of a run.
type flowRunOptions struct {
	Input   map[string]any `json:"input"`
	Preview bool           `json:"preview"`
	Tenant  string         `json:"tenant"`
}

// runFlow checks a run request and returns the flow's output.
func (e *Emulator) runFlow(c *call) (map[string]any, error) {
	var req struct {
		FlowID  string          `json:"flowId"`
		Options *flowRunOptions `json:"options"`
		flowRunOptions
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	opts := req.flowRunOptions
	if req.Options != nil {
		opts = *req.Options
	}
	if req.FlowID == "" {
		return nil, missingField("flowId")
	}
	f := e.st.Flows[req.FlowID]
	if f == nil {
		return nil, invalid("Failed getting flow %q: it does not exist", req.FlowID)
	}
	if management, _ := f.meta()["management"].(bool); !management {
		return nil, invalid("flow %q is not a management flow (its metadata.management is not true)", req.FlowID)
	}
	if opts.Tenant != "" && e.st.Tenants[opts.Tenant] == nil {
		return nil, invalid("tenant %q does not exist", opts.Tenant)
	}
	return map[string]any{}, nil
}

func (e *Emulator) flowRun(c *call) (any, error) {
	out, err := e.runFlow(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"output": out}, nil
}

func (e *Emulator) flowRunAsync(c *call) (any, error) {
	out, err := e.runFlow(c)
	if err != nil {
		return nil, err
	}
	id := e.draws.hex(32)
	e.runs.put(id, out)
	return map[string]string{"executionId": id}, nil
}

func (e *Emulator) flowRunResult(c *call) (any, error) {
	var req struct {
		ExecutionID string `json:"executionId"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.ExecutionID == "" {
		return nil, missingField("executionId")
	}
	out, ok := e.runs.get(req.ExecutionID)
	if !ok {
		return nil, &apiError{http.StatusNotFound, CodeInvalidArguments, "Not found", "execution " + quote(req.ExecutionID) + " not found"}
	}
	return map[string]any{"output": out}, nil
}
