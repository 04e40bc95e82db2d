package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func TestNewCmdExport(t *testing.T) {
	tests := []struct {
		args    string
		want    ExportCmdOptions
		wantErr string
	}{{
		args: "out",
		want: ExportCmdOptions{Dir: "out", Workspace: "."},
	}, {
		args: "out --workspace scripts --project prod --kinds tenant,role --kinds flow --match cust-* --settings --force",
		want: ExportCmdOptions{Dir: "out", Workspace: "scripts", Project: "prod", Kinds: []string{"tenant", "role", "flow"},
			Match: "cust-*", Settings: true, Force: true},
	}, {
		args: "out --project-id P2abc",
		want: ExportCmdOptions{Dir: "out", Workspace: ".", ProjectID: "P2abc"},
	}, {
		args:    "",
		wantErr: "accepts 1 arg(s), received 0",
	}}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			f := &Factory{
				IO:      &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard},
				Globals: &GlobalOptions{}, Getenv: func(string) string { return "" }, Now: time.Now,
			}
			var got *ExportCmdOptions
			cmd := NewCmdExport(f, func(_ *cobra.Command, o *ExportCmdOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.f = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}
