package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

var providersRes = resource{
	path: "providers", noun: "provider", names: []string{"name"},
	cols: []column{
		field("ID", "id"), field("NAME", "name"), field("TYPE", "type"), field("BASE_URL", "base_url"),
		field("ENABLED", "enabled"), field("API_KEY_SET", "api_key_set"),
	},
}

func (a *app) providersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "providers", Short: "Upstream providers: list, add, test, rm"}
	cmd.AddCommand(a.listCmd(providersRes), a.providerAddCmd(), a.providerTestCmd(), a.rmCmd(providersRes))
	return cmd
}

func (a *app) providerAddCmd() *cobra.Command {
	var typ, baseURL, apiKey string
	cmd, opt := a.addCmd(providersRes, &cobra.Command{
		Use:   "add NAME --type TYPE [--base-url URL] [--api-key KEY|-]",
		Short: "Add a provider (--api-key - reads the key from stdin)",
		Example: "  conduit providers add openai --type openai --api-key - <<<\"$OPENAI_API_KEY\"\n" +
			"  conduit providers add local --type openai_compatible --base-url http://127.0.0.1:11434/v1",
		Args: cobra.ExactArgs(1),
	}, func(cmd *cobra.Command, args []string) (obj, error) {
		key, err := readSecret(apiKey, cmd.InOrStdin())
		if err != nil {
			return nil, err
		}
		body := obj{"name": args[0], "type": typ, "base_url": baseURL}
		setIf(body, "api_key", key)
		return body, nil
	})
	opt.text("api_version", "api-version", "API version (azure)")
	opt.number("timeout_ms", "timeout-ms", "request timeout in milliseconds (default: the server's)")
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "openai, azure, anthropic, gemini, cohere, mistral, groq, openrouter, ollama or openai_compatible")
	f.StringVar(&baseURL, "base-url", "", "the provider's API base URL (default: the type's)")
	f.StringVar(&apiKey, "api-key", "", "the provider's API key; - reads it from stdin")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"openai", "azure", "anthropic",
		"gemini", "cohere", "mistral", "groq", "openrouter", "ollama", "openai_compatible"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) providerTestCmd() *cobra.Command {
	return &cobra.Command{
		Use: "test ID|NAME", Short: "Check a provider answers (lists its models)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			row, err := a.resolve(cmd.Context(), providersRes, args[0])
			if err != nil {
				return err
			}
			var res obj
			path := "/admin/providers/" + url.PathEscape(text(row["id"])) + "/test"
			if err := a.call(cmd.Context(), http.MethodPost, path, nil, &res); err != nil {
				return err
			}
			if err := a.show(res, func(w io.Writer) error {
				return pairs(w, [][2]string{{"provider", text(row["name"])}, {"ok", text(res["ok"])},
					{"message", text(res["message"])}, {"models", text(res["models"])}})
			}); err != nil {
				return err
			}
			if res["ok"] != true {
				return fmt.Errorf("provider %s failed the test", text(row["name"]))
			}
			return nil
		},
	}
}
