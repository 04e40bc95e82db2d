package main

// This file writes the report of apply --json and backup restore --json.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/descope-run/descope-run/descope"
	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/descope-run/descope-run/runtime"
)

// reportFormatVersion is the version of the JSON report. It changes when a
// field changes meaning or goes away; new fields may appear within a version.
const reportFormatVersion = "1"

// The results of a JSON report.
const (
	resultApplied     = "applied"     // every change done and verified
	resultNoChanges   = "no_changes"  // the plan was empty
	resultUnverified  = "unverified"  // every change done, some did not verify
	resultFailed      = "failed"      // some changes failed
	resultInterrupted = "interrupted" // stopped by an interrupt
	resultRefused     = "refused"     // refused for safety before anything was written (exit 4)
	resultCancelled   = "cancelled"   // the confirmation was not given
	resultError       = "error"       // anything else, before or after the changes
)

// jsonReport is what apply --json and backup restore --json print on
// stdout, the only thing they print there:
//
//	{
//	  "format_version": "1",
//	  "operation": "apply" | "restore", "subject": the config, plan file or backup,
//	  "target": {"description", "project_id", "base_url", "local"},
//	  "result": "applied" | "no_changes" | "unverified" | "failed" |
//	            "interrupted" | "refused" | "cancelled" | "error",
//	  "summary": {"add", "change", "delete"},   (once planned)
//	  "backup": {"id", "path"},                 (once backed up)
//	  "done", "failed", "unknown", "not_started": [{"id", "action",
//	            "declared_at"?, "error"?}],
//	  "mismatches": ["..."],
//	  "error": "..."                            (when the command failed)
//	}
//
// The lists hold the executor's items, in plan order: a change's id
// ("tenant:acme"), or one of its steps ("tenant:acme#delete"); "action" is
// the action of the change the item belongs to.
type jsonReport struct {
	FormatVersion string       `json:"format_version"`
	Operation     string       `json:"operation"`
	Subject       string       `json:"subject"`
	Target        *jsonTarget  `json:"target,omitempty"`
	Result        string       `json:"result"`
	Summary       *jsonSummary `json:"summary,omitempty"`
	Backup        *jsonBackup  `json:"backup,omitempty"`
	Done          []jsonItem   `json:"done"`
	Failed        []jsonItem   `json:"failed"`
	Unknown       []jsonItem   `json:"unknown"`
	NotStarted    []jsonItem   `json:"not_started"`
	Mismatches    []string     `json:"mismatches"`
	Error         string       `json:"error,omitempty"`
}

type jsonTarget struct {
	Description string `json:"description"`
	ProjectID   string `json:"project_id"`
	BaseURL     string `json:"base_url"`
	Local       bool   `json:"local"`
}

type jsonSummary struct {
	Add    int `json:"add"`
	Change int `json:"change"`
	Delete int `json:"delete"`
}

type jsonBackup struct {
	ID   string `json:"id"`
	Path string `json:"path"`
}

type jsonItem struct {
	ID         string `json:"id"`
	Action     string `json:"action,omitempty"`
	DeclaredAt string `json:"declared_at,omitempty"`
	Error      string `json:"error,omitempty"`
}

// newJSONReport returns the report of an operation on target t (nil when
// it was not opened) that reached outcome o (may be nil) and ended with err.
func newJSONReport(operation, subject string, t *runtime.Target, o *runtime.Outcome, err error) *jsonReport {
	r := &jsonReport{
		FormatVersion: reportFormatVersion, Operation: operation, Subject: subject,
		Done: []jsonItem{}, Failed: []jsonItem{}, Unknown: []jsonItem{}, NotStarted: []jsonItem{}, Mismatches: []string{},
	}
	if t != nil {
		rt := renderTarget(t)
		r.Target = &jsonTarget{Description: rt.Description, ProjectID: rt.ProjectID, BaseURL: rt.BaseURL, Local: rt.Local}
	}
	var p *descope.Plan
	if o != nil && o.Planned != nil {
		p = o.Planned.Plan
		add, change, destroy := p.Summary()
		r.Summary = &jsonSummary{Add: add, Change: change, Delete: destroy}
	}
	if o != nil && o.Backup.ID != "" {
		r.Backup = &jsonBackup{ID: o.Backup.ID, Path: o.Backup.Path}
	}
	item := func(id string, err error) jsonItem {
		it := jsonItem{ID: id}
		if p == nil {
			return it
		}
		if c := p.Change(changeOf(id)); c != nil {
			it.Action = string(c.Action)
			it.DeclaredAt = c.Origin.Pos()
		}
		if err != nil {
			it.Error = err.Error()
		}
		return it
	}
	var rep *mgmt.Report
	if o != nil && o.Result != nil {
		rep = &o.Result.Report
		for _, id := range rep.Done {
			r.Done = append(r.Done, item(id, nil))
		}
		for _, fl := range rep.Failed {
			r.Failed = append(r.Failed, item(fl.ID, fl.Err))
		}
		for _, u := range rep.Unknown {
			r.Unknown = append(r.Unknown, item(u.ID, u.Err))
		}
		for _, id := range rep.NotStarted {
			r.NotStarted = append(r.NotStarted, item(id, nil))
		}
		r.Mismatches = append(r.Mismatches, o.Result.Mismatches...)
	}
	if err != nil {
		r.Error = err.Error()
	}
	var refusal runtime.Refusal
	switch {
	case rep != nil && len(rep.Failed) > 0:
		r.Result = resultFailed
	case rep != nil && (rep.Interrupted != nil || len(rep.Unknown) > 0), errors.Is(err, errInterrupted):
		r.Result = resultInterrupted
	case errors.As(err, &refusal):
		r.Result = resultRefused
	case errors.Is(err, errNotConfirmed):
		r.Result = resultCancelled
	case rep != nil && len(o.Result.Mismatches) > 0:
		r.Result = resultUnverified
	case err != nil:
		r.Result = resultError
	case rep == nil:
		r.Result = resultNoChanges
	default:
		r.Result = resultApplied
	}
	return r
}

// writeJSONReport writes r on w, indented, ending with a newline.
func writeJSONReport(w io.Writer, r *jsonReport) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// reportFailure writes, when asJSON, the report of an operation that failed
// with err before it reached the project, and returns err.
func (f *Factory) reportFailure(asJSON bool, operation, subject string, err error) error {
	if asJSON && err != nil {
		if werr := writeJSONReport(f.IO.Out, newJSONReport(operation, subject, nil, nil, err)); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return err
}
