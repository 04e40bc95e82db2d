package runtime

import (
	"net/http"
	"testing"

	"github.com/descope-run/descope-run/descope/emulator"
	"github.com/descope-run/descope-run/descope/mgmt"
)

// newEmulatorTarget returns a target whose client talks in-process to a new
// emulator built with opts, and that emulator. The client is unpaced and
// skips the licence handshake, so the emulator's request log holds only the
// calls under test. Options given after the defaults (an unthrottled
// emulator with a fixed project) override them.
func newEmulatorTarget(t testing.TB, opts ...emulator.Option) (*Target, *emulator.Emulator) {
	t.Helper()
	const projectID, key = "P2EmulatorTarget000000000000", "K2EmulatorTargetKey"
	emu := emulator.New(append([]emulator.Option{
		emulator.WithProject(projectID, key),
		emulator.WithRateLimit(0, 0),
		emulator.WithSeed(1),
	}, opts...)...)
	const baseURL = "http://emulator.descope-run.invalid"
	client, err := mgmt.New(mgmt.Config{
		ProjectID:     emu.ProjectID(),
		ManagementKey: emu.ManagementKey(),
		BaseURL:       baseURL,
		HTTPClient:    &http.Client{Transport: emu.Transport()},
		Pacer:         mgmt.NewPacer(mgmt.Unlimited, 0),
		NoLicense:     true,
	})
	if err != nil {
		t.Fatalf("emulator client: %v", err)
	}
	return &Target{
		Description: "emulated project " + emu.ProjectID(),
		ProjectID:   emu.ProjectID(),
		BaseURL:     baseURL,
		Client:      client,
	}, emu
}
