package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/descope-run/descope-run/runtime"
)

// EvalCmdOptions are the inputs of `descope-run eval`.
type EvalCmdOptions struct {
	f      *Factory
	Script string
	Format string
}

// NewCmdEval returns the eval command. runF replaces its body in tests.
func NewCmdEval(f *Factory, runF func(*cobra.Command, *EvalCmdOptions) error) *cobra.Command {
	opts := &EvalCmdOptions{f: f}
	cmd := &cobra.Command{
		Use:   "eval CONFIG",
		Short: "Evaluate a config and print the desired state",
		Long: `Evaluate a config and print the desired state it declares, in canonical form:
keys sorted and objects in a stable order, so the same inputs always give the
same bytes. Nothing is read from or sent to Descope.`,
		Example: `  descope-run eval scripts/prod.star
  descope-run eval scripts/prod.star --var sso_enforcement=off --format yaml`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"star"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Script = args[0]
			if opts.Format != "json" && opts.Format != "yaml" {
				return fmt.Errorf("--format %q: want json or yaml", opts.Format)
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return runEval(cmd, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "json", "output format: json or yaml")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runEval(cmd *cobra.Command, opts *EvalCmdOptions) error {
	res, err := runtime.Eval(cmd.Context(), opts.f.EvalOptions(opts.Script))
	if err != nil {
		return err
	}
	out, err := res.State.CanonicalJSON()
	if err != nil {
		return fmt.Errorf("encode desired state: %w", err)
	}
	if opts.Format == "yaml" {
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			return fmt.Errorf("encode desired state: %w", err)
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode desired state: %w", err)
		}
		out = buf.Bytes()
	}
	_, err = opts.f.IO.Out.Write(out)
	return err
}
