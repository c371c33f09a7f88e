package cli

import "github.com/spf13/cobra"

var modelsRes = resource{
	path: "models", noun: "model", names: []string{"alias"},
	cols: []column{
		field("ID", "id"), field("ALIAS", "alias"), field("PROVIDER_ID", "provider_id"),
		field("PROVIDER_MODEL", "provider_model"), field("WEIGHT", "weight"), field("PRIORITY", "priority"),
		field("ENABLED", "enabled"),
	},
	refs: []idName{{after: "PROVIDER_ID", head: "PROVIDER_NAME", field: "provider_id", path: "providers"}},
}

func (a *app) modelsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "Model aliases and their deployments: list, add, rm"}
	cmd.AddCommand(a.listCmd(modelsRes), a.modelAddCmd(), a.rmCmd(modelsRes))
	return cmd
}

func (a *app) modelAddCmd() *cobra.Command {
	var provider, model string
	var weight, priority int
	cmd, opt := a.addCmd(modelsRes, &cobra.Command{
		Use:     "add ALIAS --provider ID|NAME [--model PROVIDER_MODEL]",
		Short:   "Add a deployment: the alias clients ask for, served by a provider's model",
		Example: "  conduit models add gpt-4o --provider openai\n  conduit models add fast --provider groq --model llama-3.1-8b-instant",
		Args:    cobra.ExactArgs(1),
	}, func(cmd *cobra.Command, args []string) (obj, error) {
		if provider == "" {
			return nil, invalid("provider_id", "--provider is required")
		}
		p, err := a.resolve(cmd.Context(), providersRes, provider)
		if err != nil {
			return nil, err
		}
		if model == "" {
			model = args[0]
		}
		return obj{"alias": args[0], "provider_id": p["id"], "provider_model": model, "weight": weight, "priority": priority}, nil
	})
	opt.number("context_window", "context-window", "context window in tokens")
	opt.flag("supports_vision", "vision", "the model accepts images")
	opt.flag("supports_tools", "tools", "the model calls tools")
	opt.flag("supports_embeddings", "embeddings", "the model makes embeddings")
	f := cmd.Flags()
	f.StringVar(&provider, "provider", "", "the provider serving it (id or name)")
	f.StringVar(&model, "model", "", "the provider's model name (default: the alias)")
	f.IntVar(&weight, "weight", 1, "weight among the alias's deployments")
	f.IntVar(&priority, "priority", 0, "priority (lower is tried first)")
	return cmd
}
