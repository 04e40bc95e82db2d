package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/descope-run/descope-run/descope/emulator"
)

func Example() {
	srv := emulator.NewServer(emulator.WithSeed(1))
	defer srv.Close()

	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.ProjectID()+":"+srv.ManagementKey())
		req.Header.Set("X-Descope-Project-Id", srv.ProjectID())
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	status, out := call("POST", "/v1/mgmt/tenant/create", `{"id":"T2acme","name":"Acme"}`)
	fmt.Println(status, out["id"])

	status, out = call("GET", "/v1/mgmt/tenant?id=T2acme", "")
	fmt.Println(status, out["name"], out["parent"] == "")

	status, out = call("POST", "/v1/mgmt/tenant/create", `{"name":""}`)
	fmt.Println(status, out["errorCode"], out["errorMessage"])

	// A create that lands but whose answer is lost.
	srv.SetFault("/v1/mgmt/tenant/create", emulator.Fault{Drop: true, After: true, Times: 1})
	_, err := srv.Client().Post(srv.URL+"/v1/mgmt/tenant/create", "application/json", strings.NewReader(`{}`))
	fmt.Println(err != nil)

	// Output:
	// 200 T2acme
	// 200 Acme true
	// 400 E011002 The name field is required
	// true
}
