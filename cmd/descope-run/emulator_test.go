package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEmulatorServesUntilCancelled(t *testing.T) {
	var out bytes.Buffer
	f := &Factory{
		IO:      &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: io.Discard},
		Globals: &GlobalOptions{Rate: "50/1s"},
		Getenv:  func(string) string { return "" },
		Now:     time.Now,
	}
	urls := make(chan string, 1)
	opts := &EmulatorOptions{f: f, Addr: "127.0.0.1:0", ProjectID: "P2emulatorcommandtest0000000", ManagementKey: "K2test",
		ready: func(url string) { urls <- url }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runEmulator(ctx, opts) }()

	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("emulator stopped before serving: %v", err)
	}
	req, _ := http.NewRequest("GET", url+"/v1/mgmt/tenant/all", nil)
	req.Header.Set("Authorization", "Bearer P2emulatorcommandtest0000000:K2test")
	req.Header.Set("X-Descope-Project-Id", "P2emulatorcommandtest0000000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"tenants"`) {
		t.Errorf("GET tenant/all = %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runEmulator: %v", err)
	}
	for _, want := range []string{
		"listening on " + url,
		"export DESCOPE_BASE_URL=" + url,
		"export DESCOPE_PROJECT_ID=P2emulatorcommandtest0000000",
		"export DESCOPE_MANAGEMENT_KEY=K2test",
		"Emulator stopped.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
