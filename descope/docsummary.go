package descope

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// DocumentSummary is the change of a flow or theme document as a reviewer
// reads it: the parts it adds, removes or updates (a flow's tasks and screens,
// a theme's style sections), and the changes outside any part, field by
// field. It is computed from the documents themselves, with the same
// normalization and tree comparison as the plan's Fields, so the two agree;
// the Fields of a Change stay the complete record (the JSON plan shows them).
type DocumentSummary struct {
	// Parts are the parts that change: tasks in natural order of their ids,
	// then screens in document order (removed ones last); for a theme, style
	// sections by mode and section name.
	Parts []DocumentPart
	// Other are the changes outside every part (metadata, references,
	// contents.startTask, a new order of the screens), in path order.
	Other []FieldChange
}

// The kinds of a DocumentPart.
const (
	PartTask   = "task"
	PartScreen = "screen"
	PartStyle  = "style"
)

// DocumentPart is one task, screen or style section that a document change
// adds, removes or updates.
type DocumentPart struct {
	// Kind is PartTask, PartScreen or PartStyle.
	Kind string
	// ID is the task's id, the screen's screenId (its index when the screens
	// carry no distinct ids), or the style section under "styles"
	// ("light.components").
	ID string
	// Name is the task's name, or the name of the task that shows the screen;
	// "" when there is none.
	Name string
	// Path is the part's path in the document, the prefix of its Fields'
	// paths ("contents.tasks.3", "screens.SC1", "styles.light.components").
	Path string
	// Action is ActionCreate, ActionUpdate or ActionDelete.
	Action Action
	// Keys are the part's own keys that change, sorted; for a created or
	// removed part, all of its keys.
	Keys []KeyChange
	// Fields are the part's changes with full paths: one field for the whole
	// part when it is created or removed, else field by field.
	Fields []FieldChange
}

// KeyChange is one key of a document part that changes.
type KeyChange struct {
	Key string
	// Action is ActionCreate when the key is new, ActionDelete when it goes
	// away, else ActionUpdate.
	Action Action
	// Changes counts the changed fields under the key.
	Changes int
}

// SummarizeDocument compares a live and a desired flow or theme document
// (either may be nil) part by part. A flow's parts are the tasks under
// contents.tasks and the elements of screens (matched as the plan matches
// them, by screenId); a theme's are the sections two levels under styles
// (styles.light.components). Other kinds of document have no parts: every
// change is in Other.
func SummarizeDocument(k Kind, live, want map[string]any) DocumentSummary {
	l, w := NormalizeDocument(live), NormalizeDocument(want)
	var s DocumentSummary
	switch k {
	case KindFlow:
		names := screenNames(l)
		maps.Copy(names, screenNames(w))
		s.tasks(l, w)
		s.screens(l, w, names)
	case KindTheme:
		s.styles(l, w)
	}
	var f fields
	treeDiff{&f}.diff("", l, w)
	s.Other = append(s.Other, f.list...)
	slices.SortStableFunc(s.Other, func(a, b FieldChange) int { return strings.Compare(a.Path, b.Path) })
	return s
}

// tasks adds the flow's changed tasks and removes contents.tasks from both
// documents.
func (s *DocumentSummary) tasks(l, w map[string]any) {
	lc, lok := mapOrNil(l["contents"])
	wc, wok := mapOrNil(w["contents"])
	if !lok || !wok {
		return
	}
	lt, lok := mapOrNil(lc["tasks"])
	wt, wok := mapOrNil(wc["tasks"])
	if !lok || !wok {
		return
	}
	ids := unionKeys(lt, wt)
	slices.SortFunc(ids, naturalCompare)
	for _, id := range ids {
		name := stringAt(wt[id], "name")
		if name == "" {
			name = stringAt(lt[id], "name")
		}
		s.part(PartTask, id, name, "contents.tasks."+id, lt[id], wt[id])
	}
	prune(l, "contents", "tasks")
	prune(w, "contents", "tasks")
}

// screens adds the flow's changed screens, named by names, and removes
// screens from both documents, keeping a new order of the same screens as a
// change of "screens" in Other.
func (s *DocumentSummary) screens(l, w map[string]any, names map[string]string) {
	ls, lok := listOrNil(l["screens"])
	ws, wok := listOrNil(w["screens"])
	if !lok || !wok || (ls == nil && ws == nil) {
		return
	}
	idKey := arrayIDKey(ls, ws)
	idOf := func(i int, e any) string {
		if idKey == "" {
			return strconv.Itoa(i)
		}
		return e.(map[string]any)[idKey].(string)
	}
	liveByID := make(map[string]any, len(ls))
	var liveIDs, wantIDs, commonLive, commonWant []string
	for i, e := range ls {
		liveByID[idOf(i, e)] = e
		liveIDs = append(liveIDs, idOf(i, e))
	}
	wantByID := make(map[string]any, len(ws))
	for i, e := range ws {
		id := idOf(i, e)
		wantByID[id] = e
		wantIDs = append(wantIDs, id)
		if _, ok := liveByID[id]; ok {
			commonWant = append(commonWant, id)
		}
	}
	for _, id := range liveIDs {
		if _, ok := wantByID[id]; ok {
			commonLive = append(commonLive, id)
		}
	}
	if idKey != "" && ls != nil && ws != nil && !slices.Equal(commonLive, commonWant) {
		var f fields
		f.change("screens", idList(liveIDs), idList(wantIDs))
		s.Other = append(s.Other, f.list...)
	}
	for _, id := range wantIDs {
		s.part(PartScreen, id, names[id], "screens."+id, liveByID[id], wantByID[id])
	}
	for _, id := range liveIDs {
		if _, ok := wantByID[id]; !ok {
			s.part(PartScreen, id, names[id], "screens."+id, liveByID[id], nil)
		}
	}
	delete(l, "screens")
	delete(w, "screens")
}

// screenNames maps the screen ids that the tasks of a flow document show
// (arguments.screenId.value, or a task's own screenId) to the task's name;
// the lowest task id wins when two tasks show one screen.
func screenNames(doc map[string]any) map[string]string {
	names := map[string]string{}
	contents, _ := doc["contents"].(map[string]any)
	tasks, _ := contents["tasks"].(map[string]any)
	ids := slices.Collect(maps.Keys(tasks))
	slices.SortFunc(ids, naturalCompare)
	for _, id := range ids {
		task, _ := tasks[id].(map[string]any)
		name, _ := task["name"].(string)
		args, _ := task["arguments"].(map[string]any)
		screen := stringAt(args["screenId"], "value")
		if screen == "" {
			screen, _ = task["screenId"].(string)
		}
		if _, seen := names[screen]; screen != "" && name != "" && !seen {
			names[screen] = name
		}
	}
	return names
}

// styles adds the theme's changed style sections and removes them from both
// documents.
func (s *DocumentSummary) styles(l, w map[string]any) {
	ls, lok := mapOrNil(l["styles"])
	ws, wok := mapOrNil(w["styles"])
	if !lok || !wok {
		return
	}
	for _, mode := range unionKeys(ls, ws) {
		lm, lok := mapOrNil(ls[mode])
		wm, wok := mapOrNil(ws[mode])
		if !lok || !wok {
			continue
		}
		for _, section := range unionKeys(lm, wm) {
			lsec, lok := mapOrNil(lm[section])
			wsec, wok := mapOrNil(wm[section])
			if !lok || !wok {
				continue
			}
			s.part(PartStyle, mode+"."+section, "", "styles."+mode+"."+section, anyOrNil(lsec), anyOrNil(wsec))
			prune(l, "styles", mode, section)
			prune(w, "styles", mode, section)
		}
	}
}

// part adds the part at path when live and want differ.
func (s *DocumentSummary) part(kind, id, name, path string, live, want any) {
	var all fields
	treeDiff{&all}.diff(path, live, want)
	if len(all.list) == 0 {
		return
	}
	p := DocumentPart{Kind: kind, ID: id, Name: name, Path: path, Action: ActionUpdate}
	switch {
	case live == nil:
		p.Action = ActionCreate
	case want == nil:
		p.Action = ActionDelete
	}
	lm, lok := mapOrNil(live)
	wm, wok := mapOrNil(want)
	if !lok || !wok {
		p.Fields = all.list
		s.Parts = append(s.Parts, p)
		return
	}
	for _, k := range unionKeys(lm, wm) {
		var f fields
		treeDiff{&f}.diff(joinPath(path, k), lm[k], wm[k])
		if len(f.list) == 0 {
			continue
		}
		kc := KeyChange{Key: k, Action: ActionUpdate, Changes: len(f.list)}
		if _, ok := lm[k]; !ok {
			kc.Action = ActionCreate
		} else if _, ok := wm[k]; !ok {
			kc.Action = ActionDelete
		}
		p.Keys = append(p.Keys, kc)
		if p.Action == ActionUpdate {
			p.Fields = append(p.Fields, f.list...)
		}
	}
	if p.Action != ActionUpdate {
		p.Fields = all.list
	}
	s.Parts = append(s.Parts, p)
}

// prune deletes the value at the path of keys from doc, then every map on
// the way that it left empty.
func prune(doc map[string]any, keys ...string) {
	if len(keys) == 0 || doc == nil {
		return
	}
	if len(keys) == 1 {
		delete(doc, keys[0])
		return
	}
	child, ok := doc[keys[0]].(map[string]any)
	if !ok {
		return
	}
	prune(child, keys[1:]...)
	if len(child) == 0 {
		delete(doc, keys[0])
	}
}

// mapOrNil returns v as a map; ok is false when v is present but not a map.
func mapOrNil(v any) (m map[string]any, ok bool) {
	if v == nil {
		return nil, true
	}
	m, ok = v.(map[string]any)
	return m, ok
}

// listOrNil returns v as a list; ok is false when v is present but not a list.
func listOrNil(v any) (l []any, ok bool) {
	if v == nil {
		return nil, true
	}
	l, ok = v.([]any)
	return l, ok
}

// anyOrNil returns m as a value, nil when m is nil (not a typed nil map).
func anyOrNil(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

// stringAt returns the string under key in v when v is a map, else "".
func stringAt(v any, key string) string {
	m, _ := v.(map[string]any)
	s, _ := m[key].(string)
	return s
}

// unionKeys returns the keys of both maps, sorted.
func unionKeys(a, b map[string]any) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// naturalCompare orders strings with their runs of digits compared as
// numbers, so that task "2" comes before task "10" and "3" before "3.verify".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da != "" && db != "" {
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitPrefix(s string) string {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return s[:i]
}
