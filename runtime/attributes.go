package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/descope-run/descope-run/descope"
)

// UndefinedAttributesError reports tenant custom attribute keys that a
// config sets but the target project does not define: Descope refuses a
// tenant that uses one (docs/descope-api.md section 4.1), so the plan stops
// before anything is written, naming where each key is set.
type UndefinedAttributesError struct {
	// Target describes the project.
	Target string
	// Keys are the undefined keys, sorted, each with the first tenant that
	// sets it.
	Keys []UndefinedAttribute
}

// UndefinedAttribute is one key a config sets that the project does not
// define.
type UndefinedAttribute struct {
	Key string
	// Tenant is the id of the first tenant (in config order) that sets it,
	// and Pos where that tenant is declared ("file:line:col", or "").
	Tenant, Pos string
}

func (e *UndefinedAttributesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s does not define the tenant custom attributes these tenants set:\n", e.Target)
	for _, k := range e.Keys {
		b.WriteString("  ")
		if k.Pos != "" {
			b.WriteString(k.Pos + ": ")
		}
		fmt.Fprintf(&b, "tenant %q sets %q\n", k.Tenant, k.Key)
	}
	b.WriteString("define each in the project first (Descope console: Tenants, Custom Attributes), then plan again")
	return b.String()
}

// checkTenantAttributes refuses a desired state whose tenants set custom
// attribute keys that the target does not define. A key that a live tenant
// uses is defined (the API enforced it); the others are looked up, one call
// each, so a plan that brings no new key costs nothing more. The local
// project defines a key on first use (see openLocal), so it is not checked.
// A look-up that fails for another reason than "not found" leaves its key
// to the apply, which fails with the API's own answer if it must.
func checkTenantAttributes(ctx context.Context, t *Target, live, desired *descope.State) error {
	if t.Local {
		return nil
	}
	defined := map[string]bool{}
	for _, lt := range live.Tenants {
		if lt.Attributes != nil {
			for k := range *lt.Attributes {
				defined[k] = true
			}
		}
	}
	first := map[string]*descope.Tenant{}
	for _, dt := range desired.Tenants {
		if dt.Attributes == nil {
			continue
		}
		for k := range *dt.Attributes {
			if !defined[k] && first[k] == nil {
				first[k] = dt
			}
		}
	}
	undefined := &UndefinedAttributesError{Target: t.Description}
	for _, k := range slices.Sorted(maps.Keys(first)) {
		a, err := t.Client.LoadTenantAttribute(ctx, k)
		if err != nil || a != nil {
			continue
		}
		undefined.Keys = append(undefined.Keys, UndefinedAttribute{Key: k, Tenant: first[k].ID, Pos: first[k].Origin.Pos()})
	}
	if len(undefined.Keys) > 0 {
		return undefined
	}
	return nil
}
