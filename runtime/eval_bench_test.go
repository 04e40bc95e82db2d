package runtime

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// generatedWorkspace is a config of n customer tenants built by a template
// module from a YAML file, the shape real configs take.
func generatedWorkspace(tb testing.TB, n int) string {
	var data strings.Builder
	for i := range n {
		fmt.Fprintf(&data, "- slug: c%05d\n  name: Customer %d\n  domains: [c%05d.example.com]\n  plan: %s\n  region: %s\n",
			i, i, i, []string{"starter", "growth", "enterprise"}[i%3], []string{"us", "eu"}[i%2])
		if i%10 == 0 {
			fmt.Fprintf(&data, "  subs: [eu, apac]\n")
		}
	}
	return writeWorkspace(tb, map[string]string{
		"descope-run.yaml": "",
		"main.star": `load("//lib/tenants.star", "customer")
permission(name = "read")
role(name = "viewer", permissions = ["read"])
T = [customer(c) for c in load_yaml("//data/customers.yaml")]
own("tenant", match = "c*")
`,
		"lib/tenants.star": `SETTINGS = {
    "starter": {"session_token_expiration": 30, "session_token_expiration_unit": "minutes"},
    "growth": {"session_token_expiration": 2, "session_token_expiration_unit": "hours"},
    "enterprise": {"session_token_expiration": 8, "session_token_expiration_unit": "hours", "enable_inactivity": True},
}

def customer(c):
    t = tenant(
        id = c["slug"],
        name = c["name"],
        domains = c["domains"],
        attributes = {"plan": c["plan"], "region": c["region"]},
        enforce_sso = c["plan"] == "enterprise",
        default_roles = ["viewer"],
        settings = SETTINGS[c["plan"]],
    )
    for s in c.get("subs", []):
        tenant(id = "%s-%s" % (c["slug"], s), name = "%s %s" % (c["name"], s.upper()), parent = t)
    return t
`,
		"data/customers.yaml": data.String(),
	})
}

func benchmarkEval(b *testing.B, n int) {
	dir := generatedWorkspace(b, n)
	script := filepath.Join(dir, "main.star")
	b.ReportAllocs()
	for b.Loop() {
		res, err := Eval(context.Background(), EvalOptions{Script: script})
		if err != nil {
			b.Fatal(err)
		}
		if got, want := len(res.State.Tenants), n+2*((n+9)/10); got != want {
			b.Fatalf("got %d tenants, want %d", got, want)
		}
	}
}

func BenchmarkEval500Tenants(b *testing.B)   { benchmarkEval(b, 500) }
func BenchmarkEval10000Tenants(b *testing.B) { benchmarkEval(b, 10000) }
