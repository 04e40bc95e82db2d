package builtins

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeLanguageTable checks that the README's table of the config
// language names every predeclared name of a config, and no other.
func TestReadmeLanguageTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### The config language\n")
	if !ok {
		t.Fatal(`README.md has no "### The config language" section`)
	}
	section, _, _ = strings.Cut(section, "\n#")
	name := regexp.MustCompile("`([a-z_]+)[(`]")
	documented := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(strings.ReplaceAll(line, `\|`, ""), "|", 3)[1]
		for _, m := range name.FindAllStringSubmatch(first, -1) {
			documented[m[1]] = true
		}
	}
	for n := range Config(NewCollector(), nil, nil) {
		if !documented[n] {
			t.Errorf("the README's config language table does not document %s", n)
		}
		delete(documented, n)
	}
	var stale []string
	for n := range documented {
		stale = append(stale, n)
	}
	slices.Sort(stale)
	for _, n := range stale {
		t.Errorf("the README's config language table documents %s, which a config does not have", n)
	}
}
