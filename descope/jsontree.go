package descope

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// volatileKeys are document keys whose values the server changes on its own
// (on every save or export): they never make a difference. They are stripped
// at the top level of a document and anywhere under its "metadata".
var volatileKeys = map[string]bool{
	"version":      true,
	"etag":         true,
	"modifiedTime": true,
	"fingerprint":  true,
}

// NormalizeDocument returns a normalized copy of a flow or theme document, the
// form plans compare: the volatile fields (version, etag, modifiedTime,
// fingerprint) are gone from the top level and from anywhere under
// "metadata", so is the top-level flowId (import sets it), and so is every
// map entry whose value is empty ({}, [], "", null, false, after its own
// normalization), so that a missing key and an empty value are the same.
// Array elements are kept, in order. The input is not modified.
func NormalizeDocument(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k == "flowId" || volatileKeys[k] {
			continue
		}
		if v = normalizeValue(v, k == "metadata"); !isEmptyValue(v) {
			out[k] = v
		}
	}
	return out
}

// normalizeValue normalizes v; inMetadata strips the volatile keys at every depth.
func normalizeValue(v any, inMetadata bool) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if inMetadata && volatileKeys[k] {
				continue
			}
			if e = normalizeValue(e, inMetadata); !isEmptyValue(e) {
				out[k] = e
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalizeValue(e, inMetadata)
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = e
		}
		return out
	default:
		return v
	}
}

// isEmptyValue reports whether v is one of the values a missing key equals.
func isEmptyValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	case string:
		return v == ""
	case bool:
		return !v
	}
	return false
}

// treeDiff compares normalized JSON trees into a fields accumulator.
type treeDiff struct{ f *fields }

// diff compares the subtrees at path; nil means absent.
func (d treeDiff) diff(path string, live, want any) {
	switch w := want.(type) {
	case map[string]any:
		if l, ok := live.(map[string]any); ok {
			d.maps(path, l, w)
			return
		}
	case []any:
		if l, ok := live.([]any); ok {
			d.arrays(path, l, w)
			return
		}
	case nil:
		if live == nil {
			return
		}
	default:
		if jsonEqual(live, want) {
			d.f.unchanged++
			return
		}
	}
	d.f.change(path, live, want)
}

func (d treeDiff) maps(path string, live, want map[string]any) {
	keys := make([]string, 0, len(want)+len(live))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range live {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		d.diff(joinPath(path, k), live[k], want[k])
	}
}

// arrays compares arrays element by element: by id when every element of
// both is an object with a distinct "screenId" or "id" (the path segment is
// the id, and a new order of the same ids is a change of the whole array's
// order), else by index.
func (d treeDiff) arrays(path string, live, want []any) {
	idKey := arrayIDKey(live, want)
	if idKey == "" {
		for i := range max(len(live), len(want)) {
			var l, w any
			if i < len(live) {
				l = live[i]
			}
			if i < len(want) {
				w = want[i]
			}
			d.diff(joinPath(path, strconv.Itoa(i)), l, w)
		}
		return
	}
	liveByID := make(map[string]any, len(live))
	for _, e := range live {
		liveByID[e.(map[string]any)[idKey].(string)] = e
	}
	wantByID := make(map[string]any, len(want))
	var wantIDs, liveIDs, commonWant, commonLive []string
	for _, e := range want {
		id := e.(map[string]any)[idKey].(string)
		wantByID[id] = e
		wantIDs = append(wantIDs, id)
		if _, ok := liveByID[id]; ok {
			commonWant = append(commonWant, id)
		}
	}
	for _, e := range live {
		id := e.(map[string]any)[idKey].(string)
		liveIDs = append(liveIDs, id)
		if _, ok := wantByID[id]; ok {
			commonLive = append(commonLive, id)
		}
	}
	if !slices.Equal(commonWant, commonLive) {
		d.f.change(path, idList(liveIDs), idList(wantIDs))
	}
	ids := slices.Concat(wantIDs, liveIDs)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		d.diff(joinPath(path, id), liveByID[id], wantByID[id])
	}
}

// idList returns ids as a JSON array value.
func idList(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// arrayIDKey returns the key ("screenId" or "id") by which the elements of
// both arrays can be matched, or "" when they cannot.
func arrayIDKey(live, want []any) string {
	for _, key := range []string{"screenId", "id"} {
		if hasDistinctIDs(live, key) && hasDistinctIDs(want, key) {
			return key
		}
	}
	return ""
}

func hasDistinctIDs(arr []any, key string) bool {
	seen := make(map[string]bool, len(arr))
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		id, ok := m[key].(string)
		if !ok || id == "" || seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}

func joinPath(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "." + seg
}

// jsonEqual reports whether two JSON-like values are equal. Numbers compare
// by value whatever their Go type (int64 from a config, float64 or
// json.Number from the API); []string equals the []any of the same strings.
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !jsonEqual(av, bv) {
				return false
			}
		}
		return true
	case []any:
		bl, ok := asList(b)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], bl[i]) {
				return false
			}
		}
		return true
	case []string:
		return jsonEqual(idList(a), b)
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case nil:
		return b == nil
	}
	an, aok := numberKey(a)
	bn, bok := numberKey(b)
	return aok && bok && an == bn
}

// asList returns v as []any when it is a list.
func asList(v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case []string:
		return idList(v), true
	}
	return nil, false
}

// numberKey returns a canonical text for a number of any Go numeric type, so
// that 3, int64(3), 3.0 and json.Number("3") compare equal.
func numberKey(v any) (string, bool) {
	switch n := v.(type) {
	case int:
		return strconv.FormatInt(int64(n), 10), true
	case int32:
		return strconv.FormatInt(int64(n), 10), true
	case int64:
		return strconv.FormatInt(n, 10), true
	case uint64:
		return strconv.FormatUint(n, 10), true
	case float32:
		return floatKey(float64(n)), true
	case float64:
		return floatKey(n), true
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		if f, err := n.Float64(); err == nil {
			return floatKey(f), true
		}
		return n.String(), true
	}
	return "", false
}

func floatKey(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
