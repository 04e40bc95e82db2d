package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestCitations fails when a file of the repository cites a document under
// docs/ that does not exist, a section that the document lacks, or a path
// outside the repository. Code comments cite the design notes and the API
// facts by section number ("docs/descope-api.md section 4.1"), so renumbering
// a section without updating its citations fails here.
func TestCitations(t *testing.T) {
	problems, err := checkCitations(os.DirFS(".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestCitationsReportsBadOnes runs the check on a small repository whose
// files cite what does not exist, in every form the check reads; the
// problems it must report are in testdata/want.txt.
func TestCitationsReportsBadOnes(t *testing.T) {
	got, err := checkCitations(os.DirFS("testdata/repo"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/want.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(data)), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("checkCitations found\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

var (
	// outside matches a path into the sibling folder the design notes once
	// lived in.
	outside = regexp.MustCompile(`\.\./shared\b`)
	// docPath matches a Markdown document under docs/, named from the
	// repository root.
	docPath = regexp.MustCompile(`(?:^|[^\w./-])(docs/[\w./-]*\.md)\b`)
	// sectionRef matches "FILE section N", "FILE sections N and M",
	// "section N of FILE", and, in docs/, a bare "section N" of the document
	// itself. FILE is a path from the repository root (starting with docs/)
	// or, bare, from the citing file's folder.
	sectionRef = regexp.MustCompile(`(?i)(?:([\w./-]+\.md)[` + "`" + `"']?\s+)?\bsections?\s+(` + num + `(?:(?:,\s*|\s+and\s+|\s+or\s+)` + num + `)*)(?:\s+of\s+(?:the\s+)?([\w./-]+\.md))?`)
	num        = `\d+[a-z]?(?:\.\d+)*`
	numRE      = regexp.MustCompile(num)
	// heading matches a numbered Markdown heading: "## 4. Endpoints",
	// "### 4.1 Tenants", "## 8a. SSO".
	heading = regexp.MustCompile(`^#{1,6}\s+(` + num + `)\.?\s`)
)

// checkCitations reads every text file of the repository root fsys and
// returns its problems as "path:line: message", sorted.
func checkCitations(fsys fs.FS) ([]string, error) {
	sections := map[string][]string{} // document -> its numbered sections, memoised
	sectionsOf := func(doc string) ([]string, bool) {
		if s, ok := sections[doc]; ok {
			return s, s != nil
		}
		data, err := fs.ReadFile(fsys, doc)
		if err != nil {
			sections[doc] = nil
			return nil, false
		}
		s := []string{}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if m := heading.FindStringSubmatch(sc.Text()); m != nil {
				s = append(s, m[1])
			}
		}
		sections[doc] = s
		return s, true
	}

	var problems []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name == ".git" || name == "bin" || name == "docs/testdata" {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if len(data) > 4<<20 || bytes.IndexByte(data, 0) >= 0 {
			return nil // not text
		}
		text, starts := flatten(data)
		lineAt := func(off int) int { return sort.Search(len(starts), func(i int) bool { return starts[i] > off }) }
		report := func(off int, format string, args ...any) {
			problems = append(problems, fmt.Sprintf("%s:%d: %s", name, lineAt(off), fmt.Sprintf(format, args...)))
		}
		for _, m := range outside.FindAllStringIndex(text, -1) {
			report(m[0], "cites %s, outside the repository: cite a document under docs/ instead", text[m[0]:m[1]])
		}
		for _, m := range docPath.FindAllStringSubmatchIndex(text, -1) {
			if doc := text[m[2]:m[3]]; !exists(fsys, doc) {
				report(m[2], "cites %s, which does not exist", doc)
			}
		}
		for _, m := range sectionRef.FindAllStringSubmatchIndex(text, -1) {
			doc := ""
			switch {
			case m[2] >= 0:
				doc = text[m[2]:m[3]]
			case m[6] >= 0:
				doc = text[m[6]:m[7]]
			case path.Dir(name) == "docs" && strings.HasSuffix(name, ".md"):
				doc = name
			default:
				continue // "section N" of something that is not a document
			}
			if !strings.HasPrefix(doc, "docs/") || doc == name {
				doc = path.Join(path.Dir(name), path.Base(doc))
			}
			have, ok := sectionsOf(doc)
			for _, n := range numRE.FindAllString(text[m[4]:m[5]], -1) {
				switch {
				case !ok:
					report(m[4], "cites section %s of %s, which does not exist", n, doc)
				case !slices.Contains(have, n):
					report(m[4], "cites section %s of %s, which has no such section (it has %s)", n, doc, strings.Join(have, ", "))
				}
			}
		}
		return nil
	})
	sort.Strings(problems)
	return problems, err
}

// flatten joins the lines of data with single spaces, dropping each line's
// indentation and comment markers ("//", "#"), so that a citation broken
// across comment lines reads as one. starts holds the offset in text at
// which each line begins.
func flatten(data []byte) (text string, starts []int) {
	var b strings.Builder
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimLeft(line, "/#")
		starts = append(starts, b.Len())
		b.WriteString(strings.TrimSpace(line))
		b.WriteByte(' ')
	}
	return b.String(), starts
}

func exists(fsys fs.FS, name string) bool {
	fi, err := fs.Stat(fsys, name)
	return err == nil && fi.Mode().IsRegular()
}
