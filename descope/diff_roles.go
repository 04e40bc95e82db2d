package descope

// TenantDefaultRoles is how a tenant that a plan creates (or creates again)
// gets its default roles. The create can set project roles only: a default
// role that names one of the tenant's own roles can be set once that role
// exists, which the plan creates after the tenant, so a step of its own
// (DefaultRolesStepID) sets those later.
type TenantDefaultRoles struct {
	// OnCreate are the default roles the create sets.
	OnCreate []string
	// Later, when the tenant names roles of its own that the plan creates,
	// are all the default roles it ends up with, set by the default-roles
	// step once those roles' changes (Waits, their IDs) are done.
	Later []string
	Waits []string
}

// DefaultRolesStepID returns the ID of the step of the tenant change with ID
// id that sets the default roles naming the tenant's own roles.
func DefaultRolesStepID(id string) string { return id + "#defaultRoles" }

// tenantDefaultRoles fills in Change.DefaultRoles of every tenant create and
// replace. A default role's name means the project role when there is one,
// live and not removed by the plan, or declared: the API resolves a name so
// (see the emulator's store.defaultRole), and its answers give names only.
// Otherwise it means the tenant's own role when the config declares one.
// A replace whose config leaves the default roles unset carries the live
// ones over: the project roles on create, the tenant's own roles (gone with
// the tenant) once the plan creates them again.
func (d *differ) tenantDefaultRoles(live *State) {
	projectLive, declaredProject := map[string]bool{}, map[string]bool{}
	tenantLive, declaredTenant := map[string]bool{}, map[string]bool{}
	for _, n := range PreconfiguredRoles {
		projectLive[n], declaredProject[n] = true, true
	}
	for _, r := range live.Roles {
		if r.Tenant == "" {
			projectLive[r.Name] = true
		} else {
			tenantLive[r.Key()] = true
		}
	}
	for _, r := range d.desired.Roles {
		if r.Tenant == "" {
			declaredProject[r.Name] = true
		} else {
			declaredTenant[r.Key()] = true
		}
	}
	removedProject := map[string]bool{}
	byID := make(map[string]*Change, len(d.plan.Changes))
	for _, c := range d.plan.Changes {
		byID[c.ID] = c
		if r, ok := c.Before.(*Role); ok && r.Tenant == "" && c.Action != ActionUpdate {
			removedProject[r.Name] = true
		}
	}
	for _, c := range d.plan.Changes {
		after, ok := c.After.(*Tenant)
		if !ok || (c.Action != ActionCreate && c.Action != ActionReplace) {
			continue
		}
		var onCreate, later, own []string
		if after.DefaultRoles != nil {
			for _, r := range *after.DefaultRoles {
				project := projectLive[r] && !removedProject[r] || declaredProject[r]
				if !project && declaredTenant[after.ID+"/"+r] {
					own = append(own, r)
				} else {
					onCreate = append(onCreate, r)
				}
			}
			later = onCreate
		} else if before, ok := c.Before.(*Tenant); ok {
			for _, r := range deref(before.DefaultRoles) {
				switch {
				case projectLive[r]:
					// The create sets it: the plan removes no project
					// role before the tenant's create.
					onCreate = append(onCreate, r)
					if !removedProject[r] {
						later = append(later, r)
					}
				case tenantLive[before.ID+"/"+r]:
					own = append(own, r)
				}
			}
		}
		dr := &TenantDefaultRoles{OnCreate: onCreate}
		for _, r := range own {
			rc := byID[ChangeID(KindRole, after.ID+"/"+r)]
			if rc == nil || (rc.Action != ActionCreate && rc.Action != ActionReplace) {
				continue // gone with the tenant, and not declared again
			}
			dr.Later, dr.Waits = append(dr.Later, r), append(dr.Waits, rc.ID)
		}
		if len(dr.Waits) > 0 {
			dr.Later = append(append([]string(nil), later...), dr.Later...)
		} else {
			dr.Later = nil
		}
		c.DefaultRoles = dr
	}
}
