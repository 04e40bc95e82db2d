package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope"
)

func markdown(t *testing.T, p *descope.Plan, opts MarkdownOptions) string {
	t.Helper()
	var b strings.Builder
	if err := Markdown(&b, p, opts); err != nil {
		t.Fatalf("Markdown: %v", err)
	}
	return b.String()
}

func TestMarkdown(t *testing.T) {
	checkText(t, markdown(t, mixedPlan(), MarkdownOptions{Header: "Target: project P2abc"}), `Target: project P2abc

**Plan: 2 to add, 1 to change, 2 to delete.**

| Kind | Create | Update | Delete | Replace |
|:--|--:|--:|--:|--:|
| tenant | 1 | 1 | 1 | 1 |

<details><summary><code>- tenant "cust-old"</code></summary>

`+"```"+`diff
# owned by own("tenant", "cust-*") at main.star:3:1
`+"```"+`

</details>
<details><summary><code>~ tenant "beta"</code></summary>

`+"```"+`diff
~ name: "Beta" -> "Beta Inc"
~ customAttributes.apiKey: (sensitive) -> (sensitive)
`+"```"+`

</details>
<details><summary><code>+ tenant "holding"</code> name "Holding"</summary>

`+"```"+`diff
+ name: "Holding"
`+"```"+`

</details>
<details><summary><code>-/+ tenant "acme"</code></summary>

`+"```"+`diff
# the parent changes from none (top level) to "holding", and the API sets a tenant's parent only when it creates the tenant; the delete also drops its users' membership and its SSO configuration
~ parent: "" -> "holding"
`+"```"+`

</details>
`)
}

func TestMarkdownUnmanagedListed(t *testing.T) {
	p := &descope.Plan{Unmanaged: map[descope.Kind][]string{
		descope.KindTenant: {"handmade"}, descope.KindRole: {"Tenant Admin"},
	}}
	checkText(t, markdown(t, p, MarkdownOptions{ShowUnmanaged: true}), `**No changes.** The project matches the configuration.

2 live objects are not managed by this configuration:

- `+"`"+`role "Tenant Admin" (preconfigured)`+"`"+`
- `+"`"+`tenant "handmade"`+"`"+`

1 of them comes with every new Descope project (the preconfigured role) and is left alone.
`)
}

func TestMarkdownStaysUnderTheCommentLimit(t *testing.T) {
	desired := &descope.State{}
	for i := range 2000 {
		desired.Tenants = append(desired.Tenants, &descope.Tenant{
			ID: fmt.Sprintf("cust-%04d", i), Name: strings.Repeat("n", 40), Domains: &[]string{fmt.Sprintf("c%d.example.com", i)},
		})
	}
	got := markdown(t, descope.Diff(nil, desired), MarkdownOptions{})
	if len(got) > MaxMarkdownBytes+2000*40 {
		t.Fatalf("markdown is %d bytes", len(got))
	}
	details := strings.Count(got, "<details>")
	listed := strings.Count(got, "\n- `+ tenant ")
	if details == 0 || listed == 0 || details+listed != 2000 {
		t.Errorf("%d changes in details and %d by title, want 2000 in all, both some", details, listed)
	}
	if !strings.Contains(got, fmt.Sprintf("%d more changes, by title only", listed)) {
		t.Errorf("no note on the changes shown by title only")
	}
	if before, _, _ := strings.Cut(got, "more changes, by title only"); len(before) > MaxMarkdownBytes {
		t.Errorf("the details take %d bytes, more than %d", len(before), MaxMarkdownBytes)
	}
}

func TestCodeFence(t *testing.T) {
	for s, want := range map[string]string{"": "```", "a `b`": "```", "x ``` y": "````", "`````": "``````"} {
		if got := codeFence(s); got != want {
			t.Errorf("codeFence(%q) = %q, want %q", s, got, want)
		}
	}
}
