package mgmt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/descope-run/descope-run/descope/mgmt"
	"github.com/hashicorp/go-hclog"
)

// TestConfigRedactsKey prints, logs and encodes a Config every way we can
// think of; the key must never show.
func TestConfigRedactsKey(t *testing.T) {
	cfg := mgmt.Config{ProjectID: testProjectID, ManagementKey: testKey, BaseURL: "http://127.0.0.1:1"}
	wrapped := struct{ Cfg mgmt.Config }{cfg}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outputs = append(outputs, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, &cfg), fmt.Sprintf(verb, wrapped))
	}
	outputs = append(outputs, cfg.String(), cfg.GoString(), fmt.Sprint(cfg), fmt.Sprintln(cfg))

	data, err := json.Marshal(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(data))

	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", cfg)
	hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace}).Info("config", "cfg", cfg, "ptr", &cfg)
	hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace, JSONFormat: true}).Info("config", "cfg", cfg)
	outputs = append(outputs, logs.String())

	for _, out := range outputs {
		if strings.Contains(out, testKey) {
			t.Errorf("key shown in %q", out)
		}
	}
	if !strings.Contains(cfg.String(), "<redacted>") || !strings.Contains(cfg.String(), testProjectID) {
		t.Errorf("String() = %q, want the project id and <redacted>", cfg.String())
	}
}

// TestClientNeverShowsKey checks printed clients, errors and log lines of
// failed and successful calls.
func TestClientNeverShowsKey(t *testing.T) {
	var logs bytes.Buffer
	logger := hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace})
	rec := newRecorder(t, sequence(
		reply{status: 503},
		reply{status: 401, body: `{"errorCode":"E011003","errorDescription":"Unauthorized","errorMessage":"bad key"}`},
		ok(`{"roles":[]}`)))
	c := newClient(t, rec, func(cfg *mgmt.Config) { cfg.Logger = logger })
	_, authErr := c.LoadAllTenants(context.Background())
	if !mgmt.IsAuth(authErr) {
		t.Fatalf("error = %v, want the 401", authErr)
	}
	if _, err := c.LoadAllRoles(context.Background()); err != nil {
		t.Fatal(err)
	}

	// A transport error (the server is gone) and a bad base URL.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	gone, _ := mgmt.New(mgmt.Config{ProjectID: testProjectID, ManagementKey: testKey, BaseURL: "http://" + addr,
		NoLicense: true, Logger: logger})
	_, dialErr := gone.LoadAllRoles(context.Background())
	_, newErr := mgmt.New(mgmt.Config{ProjectID: testProjectID, ManagementKey: testKey, BaseURL: "::"})

	outputs := []string{
		logs.String(), authErr.Error(), dialErr.Error(), newErr.Error(),
		fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprintf("%+v", struct{ C *mgmt.Client }{c}),
	}
	for _, out := range outputs {
		if strings.Contains(out, testKey) {
			t.Errorf("key shown in %q", out)
		}
	}
	if !strings.Contains(logs.String(), "tenant load all") {
		t.Errorf("the log does not name the call:\n%s", logs.String())
	}
}
