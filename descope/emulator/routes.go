package emulator

import "net/http"

// routes maps a path and a method to its endpoint: the endpoints of
// docs/descope-api.md section 4 that descope-run uses, and every other call
// the official Go SDK (v1.30.0) makes in the same areas.
var routes = map[string]map[string]route{
	"/v1/mgmt/license": {http.MethodGet: {handle: (*Emulator).license}},

	"/v1/mgmt/tenant/create": {http.MethodPost: {write: true, handle: (*Emulator).tenantCreate}},
	"/v1/mgmt/tenant/update": {http.MethodPost: {write: true, handle: (*Emulator).tenantUpdate}},
	"/v1/mgmt/tenant/delete": {http.MethodPost: {write: true, handle: (*Emulator).tenantDelete}},
	"/v1/mgmt/tenant":        {http.MethodGet: {handle: (*Emulator).tenantLoad}},
	"/v1/mgmt/tenant/all":    {http.MethodGet: {handle: (*Emulator).tenantAll}},
	"/v1/mgmt/tenant/search": {http.MethodPost: {handle: (*Emulator).tenantSearch}},
	"/v1/mgmt/tenant/settings": {
		http.MethodGet:  {handle: (*Emulator).tenantSettingsGet},
		http.MethodPost: {write: true, handle: (*Emulator).tenantSettingsSet},
	},
	"/v1/mgmt/tenant/updateDefaultRoles": {http.MethodPost: {write: true, handle: (*Emulator).tenantDefaultRoles}},
	"/v1/mgmt/tenant/attribute": {
		http.MethodPost:   {write: true, handle: (*Emulator).tenantAttributeSet},
		http.MethodGet:    {handle: (*Emulator).tenantAttributeGet},
		http.MethodDelete: {write: true, emptyOK: true, handle: (*Emulator).tenantAttributeDelete},
	},

	"/v1/mgmt/flow/list":    {http.MethodPost: {emptyOK: true, handle: (*Emulator).flowList}},
	"/v1/mgmt/flow/delete":  {http.MethodPost: {write: true, handle: (*Emulator).flowDelete}},
	"/v2/mgmt/flow/export":  {http.MethodPost: {handle: (*Emulator).flowExport}},
	"/v2/mgmt/flow/import":  {http.MethodPost: {write: true, handle: (*Emulator).flowImport}},
	"/v2/mgmt/theme/export": {http.MethodPost: {emptyOK: true, handle: (*Emulator).themeExport}},
	"/v2/mgmt/theme/import": {http.MethodPost: {write: true, handle: (*Emulator).themeImport}},

	"/v1/mgmt/role/create":       {http.MethodPost: {write: true, handle: (*Emulator).roleCreate}},
	"/v1/mgmt/role/update":       {http.MethodPost: {write: true, handle: (*Emulator).roleUpdate}},
	"/v1/mgmt/role/delete":       {http.MethodPost: {write: true, handle: (*Emulator).roleDelete}},
	"/v1/mgmt/role/all":          {http.MethodGet: {handle: (*Emulator).roleAll}},
	"/v1/mgmt/role/search":       {http.MethodPost: {handle: (*Emulator).roleSearch}},
	"/v1/mgmt/role/create/batch": {http.MethodPost: {write: true, handle: (*Emulator).roleCreateBatch}},
	"/v1/mgmt/role/update/batch": {http.MethodPost: {write: true, handle: (*Emulator).roleUpdateBatch}},
	"/v1/mgmt/role/delete/batch": {http.MethodPost: {write: true, handle: (*Emulator).roleDeleteBatch}},

	"/v1/mgmt/permission/create":       {http.MethodPost: {write: true, handle: (*Emulator).permissionCreate}},
	"/v1/mgmt/permission/update":       {http.MethodPost: {write: true, handle: (*Emulator).permissionUpdate}},
	"/v1/mgmt/permission/delete":       {http.MethodPost: {write: true, handle: (*Emulator).permissionDelete}},
	"/v1/mgmt/permission/all":          {http.MethodGet: {handle: (*Emulator).permissionAll}},
	"/v1/mgmt/permission/create/batch": {http.MethodPost: {write: true, handle: (*Emulator).permissionCreateBatch}},
	"/v1/mgmt/permission/update/batch": {http.MethodPost: {write: true, handle: (*Emulator).permissionUpdateBatch}},
	"/v1/mgmt/permission/delete/batch": {http.MethodPost: {write: true, handle: (*Emulator).permissionDeleteBatch}},

	"/v1/mgmt/project/update/name":       {http.MethodPost: {write: true, handle: (*Emulator).projectName}},
	"/v1/mgmt/project/update/tags":       {http.MethodPost: {write: true, handle: (*Emulator).projectTags}},
	"/v1/mgmt/project/snapshot/export":   {http.MethodPost: {handle: (*Emulator).snapshotExport}},
	"/v1/mgmt/project/snapshot/import":   {http.MethodPost: {write: true, handle: (*Emulator).snapshotImport}},
	"/v1/mgmt/project/snapshot/validate": {http.MethodPost: {handle: (*Emulator).snapshotValidate}},
	// Clones live in memory (see projects.go): these are not journaled.
	"/v1/mgmt/project/clone":  {http.MethodPost: {handle: (*Emulator).projectClone}},
	"/v1/mgmt/project/delete": {http.MethodPost: {emptyOK: true, handle: (*Emulator).projectDelete}},
	"/v1/mgmt/projects/list":  {http.MethodPost: {emptyOK: true, handle: (*Emulator).projectsList}},

	"/v2/mgmt/sso/settings":      {http.MethodGet: {handle: (*Emulator).ssoLoad}},
	"/v2/mgmt/sso/settings/all":  {http.MethodGet: {handle: (*Emulator).ssoLoadAll}},
	"/v1/mgmt/sso/settings/new":  {http.MethodPost: {write: true, handle: (*Emulator).ssoNew}},
	"/v1/mgmt/sso/oidc":          {http.MethodPost: {write: true, handle: (*Emulator).ssoOIDC}},
	"/v1/mgmt/sso/saml":          {http.MethodPost: {write: true, handle: (*Emulator).ssoSAML}},
	"/v1/mgmt/sso/saml/metadata": {http.MethodPost: {write: true, handle: (*Emulator).ssoSAMLMetadata}},
	"/v1/mgmt/sso/redirect":      {http.MethodPost: {write: true, handle: (*Emulator).ssoRedirect}},
	"/v1/mgmt/sso/settings":      {http.MethodDelete: {write: true, handle: (*Emulator).ssoDelete}},

	"/v2/mgmt/tenant/adminlinks/sso/generate": {http.MethodPost: {handle: (*Emulator).adminLinkGenerate}},
	"/v1/mgmt/tenant/adminlinks/sso/revoke":   {http.MethodPost: {handle: (*Emulator).adminLinkRevoke}},

	"/v1/mgmt/flow/run":          {http.MethodPost: {handle: (*Emulator).flowRun}},
	"/v1/mgmt/flow/async/run":    {http.MethodPost: {handle: (*Emulator).flowRunAsync}},
	"/v1/mgmt/flow/async/result": {http.MethodPost: {handle: (*Emulator).flowRunResult}},
}

// empty is the {} answer of endpoints that return nothing.
type empty struct{}
