package builtins

import "testing"

func TestDuplicateJSONKey(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"distinct keys", `{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}`, ""},
		{"top level", "{\n  \"name\": \"x\",\n  \"name\": \"y\"\n}", `line 3: key "name" already defined at line 2`},
		{"nested object", `{"a": {"b": 1, "c": [1, "b"], "b": 2}}`, `line 1: key "b" already defined at line 1`},
		{"in an array element", "[\n{\"id\": 1},\n{\"id\": 2,\n \"id\": 3}\n]", `line 4: key "id" already defined at line 3`},
		{"string values are not keys", `{"a": "a", "b": ["a", "a"], "c": "a"}`, ""},
		{"after a nested container", `{"a": {"x": 1}, "b": [], "a": 2}`, `line 1: key "a" already defined at line 1`},
		{"malformed is left to the decoder", `{"a": 1,`, ""},
		{"scalar document", `"a"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := duplicateJSONKey([]byte(tt.data)); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("duplicateJSONKey(%s) = %q, want %q", tt.data, got, tt.want)
			}
		})
	}
}
