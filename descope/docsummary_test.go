package descope

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// jsonDoc decodes a JSON document for a test.
func jsonDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test document: %v", err)
	}
	return m
}

// summaryText prints a summary one line per part and field, for comparison.
func summaryText(s DocumentSummary) string {
	var b strings.Builder
	for _, p := range s.Parts {
		fmt.Fprintf(&b, "%s %s %s %q @%s:", p.Action, p.Kind, p.ID, p.Name, p.Path)
		for _, k := range p.Keys {
			fmt.Fprintf(&b, " %s/%s/%d", k.Key, k.Action, k.Changes)
		}
		var paths []string
		for _, f := range p.Fields {
			paths = append(paths, f.Path)
		}
		fmt.Fprintf(&b, " [%s]\n", strings.Join(paths, " "))
	}
	for _, f := range s.Other {
		fmt.Fprintf(&b, "other %s\n", f.Path)
	}
	return b.String()
}

func TestSummarizeDocument(t *testing.T) {
	tests := []struct {
		name       string
		kind       Kind
		live, want string
		summary    string
	}{
		{
			name: "tasks by id, dotted ids whole, natural order",
			kind: KindFlow,
			live: `{"contents": {"startTask": "1", "tasks": {
				"1": {"id": "1", "name": "Welcome", "next": {"rules": [{"taskId": "2"}]}, "view": {"x": 0}},
				"2": {"id": "2", "name": "Verify", "view": {"x": 1}},
				"end": {"id": "end", "name": "End"}}}}`,
			want: `{"contents": {"startTask": "1", "tasks": {
				"1": {"id": "1", "name": "Welcome", "next": {"rules": [{"taskId": "2.verify"}]}, "view": {"x": 5}, "action": "screen"},
				"2": {"id": "2", "name": "Verify", "view": {"x": 1}},
				"2.verify": {"id": "2.verify", "name": "Verify Code"},
				"10": {"id": "10", "name": "Ten"}}}}`,
			summary: `update task 1 "Welcome" @contents.tasks.1: action/create/1 next/update/1 view/update/1 [contents.tasks.1.action contents.tasks.1.next.rules.0.taskId contents.tasks.1.view.x]
create task 2.verify "Verify Code" @contents.tasks.2.verify: id/create/1 name/create/1 [contents.tasks.2.verify]
create task 10 "Ten" @contents.tasks.10: id/create/1 name/create/1 [contents.tasks.10]
delete task end "End" @contents.tasks.end: id/delete/1 name/delete/1 [contents.tasks.end]
`,
		},
		{
			name: "screens named by the tasks that show them, order kept apart",
			kind: KindFlow,
			live: `{"contents": {"tasks": {"1": {"name": "Old Welcome", "screenId": "old"}}},
				"screens": [{"screenId": "old", "contents": {"a": 1}}, {"screenId": "b", "contents": {"x": 1}}, {"screenId": "c"}]}`,
			want: `{"contents": {"tasks": {"1": {"name": "Welcome", "arguments": {"screenId": {"value": "new"}}}}},
				"screens": [{"screenId": "new", "contents": {"a": 1}}, {"screenId": "c"}, {"screenId": "b", "contents": {"x": 2}}]}`,
			summary: `update task 1 "Welcome" @contents.tasks.1: arguments/create/1 name/update/1 screenId/delete/1 [contents.tasks.1.arguments contents.tasks.1.name contents.tasks.1.screenId]
create screen new "Welcome" @screens.new: contents/create/1 screenId/create/1 [screens.new]
update screen b "" @screens.b: contents/update/1 [screens.b.contents.x]
delete screen old "Old Welcome" @screens.old: contents/delete/1 screenId/delete/1 [screens.old]
other screens
`,
		},
		{
			name:    "a created flow: every task and screen added, the rest in other",
			kind:    KindFlow,
			want:    `{"flowId": "f", "metadata": {"name": "F", "version": 3}, "contents": {"startTask": "1", "tasks": {"1": {"name": "A"}}}, "screens": [{"screenId": "s"}]}`,
			summary: "create task 1 \"A\" @contents.tasks.1: name/create/1 [contents.tasks.1]\ncreate screen s \"\" @screens.s: screenId/create/1 [screens.s]\nother contents\nother metadata\n",
		},
		{
			name:    "unchanged parts and metadata only",
			kind:    KindFlow,
			live:    `{"metadata": {"name": "F", "etag": "1"}, "contents": {"tasks": {"1": {"name": "A"}}}}`,
			want:    `{"metadata": {"name": "G"}, "contents": {"tasks": {"1": {"name": "A"}}}}`,
			summary: "other metadata.name\n",
		},
		{
			name:    "tasks that are not a map stay whole in other",
			kind:    KindFlow,
			live:    `{"contents": {"tasks": [1, 2]}}`,
			want:    `{"contents": {"tasks": {"1": {"name": "A"}}}}`,
			summary: "other contents.tasks\n",
		},
		{
			name: "theme sections under styles",
			kind: KindTheme,
			live: `{"componentsVersion": "1", "styles": {"light": {"components": {"button": {"radius": "md", "color": "red"}, "input": {"radius": "sm"}}, "globals": {"radius": {"sm": "4px"}}}}}`,
			want: `{"componentsVersion": "2", "styles": {"light": {"components": {"button": {"radius": "lg", "color": "blue"}, "link": {"color": "teal"}}, "globals": {"radius": {"sm": "4px"}}}, "dark": {"globals": {"fonts": {"a": "b"}}}}}`,
			summary: `create style dark.globals "" @styles.dark.globals: fonts/create/1 [styles.dark.globals]
update style light.components "" @styles.light.components: button/update/2 input/delete/1 link/create/1 [styles.light.components.button.color styles.light.components.button.radius styles.light.components.input styles.light.components.link]
other componentsVersion
`,
		},
		{
			name:    "a theme value that is not a section stays in other",
			kind:    KindTheme,
			live:    `{"styles": {"primary": "#000"}}`,
			want:    `{"styles": {"primary": "#fff"}}`,
			summary: "other styles.primary\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, want := jsonDoc(t, tt.live), jsonDoc(t, tt.want)
			got := summaryText(SummarizeDocument(tt.kind, live, want))
			if got != tt.summary {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.summary)
			}
			if tt.live == "" {
				return
			}
			// An update's changes are the plan's, split by part.
			var f fields
			treeDiff{&f}.diff("", NormalizeDocument(live), NormalizeDocument(want))
			s := SummarizeDocument(tt.kind, live, want)
			var all []FieldChange
			for _, p := range s.Parts {
				all = append(all, p.Fields...)
			}
			all = append(all, s.Other...)
			if len(all) != len(f.list) {
				t.Errorf("summary has %d fields, the plan %d", len(all), len(f.list))
			}
		})
	}
}

func TestNaturalCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2", "10", -1},
		{"3", "3.verify", -1},
		{"3.verify", "4", -1},
		{"4.end", "end", -1},
		{"007", "7", 0},
		{"a2", "a10", -1},
		{"end", "start", -1},
	}
	for _, tt := range tests {
		if got := naturalCompare(tt.a, tt.b); got != tt.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := naturalCompare(tt.b, tt.a); got != -tt.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}
