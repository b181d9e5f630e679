package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/server"
)

func newCheckConfig() *cobra.Command {
	return &cobra.Command{
		Use:   "check-config FILE",
		Short: "Validate a config file; exit non-zero with the key and reason when it is wrong",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := config.File(args[0])
			if err != nil {
				return err
			}
			cfg, err := config.Load(src, config.Overrides{})
			if err != nil {
				return err
			}
			// Building the server checks what the schema cannot: list
			// sources, upstream addresses, forwarding to itself.
			srv, err := server.New(cfg, server.Deps{Logger: zap.NewNop(), Version: version})
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			_ = srv.Shutdown(cmd.Context())
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", args[0])
			return nil
		},
	}
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "cleandns %s (%s)\n", version, runtime.Version())
		},
	}
}

func newLists(f *flags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lists",
		Short: "Print the built-in categories and the configured lists with their entry counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			printBuiltins(out)
			cfg, err := loadConfig(f)
			if err != nil {
				return err
			}
			srv, err := loadLists(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer func() { _ = srv.Shutdown(context.Background()) }()
			fmt.Fprintln(out, "\nConfigured lists:")
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LIST\tENTRIES\tSKIPPED\tINVALID\tLAST SUCCESS\tLAST ERROR")
			for _, st := range srv.Lists() {
				last := "never"
				if !st.LastSuccess.IsZero() {
					last = st.LastSuccess.Format(time.RFC3339)
				}
				problem := st.LastError
				if st.Warning != "" {
					problem = strings.TrimPrefix(problem+"; ", "; ") + "warning: " + st.Warning
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", st.Name, st.Entries, st.Skipped, st.Invalid, last, problem)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			printInvalid(out, srv.Lists())
			return nil
		},
	}
	cmd.AddCommand(newListsRefresh(f))
	return cmd
}

// printInvalid prints the invalid lines each list reported (the first
// five), with their line numbers, so they can be fixed.
func printInvalid(out io.Writer, lists []blocklist.ListStatus) {
	for _, st := range lists {
		for _, l := range st.InvalidLines {
			fmt.Fprintf(out, "%s:%d: %s: %s\n", st.Name, l.Line, l.Reason, l.Text)
		}
	}
}

func printBuiltins(out io.Writer) {
	fmt.Fprintln(out, "Built-in categories:")
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tENTRIES\tDESCRIPTION")
	for _, b := range blocklist.Builtins() {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", b.Name, b.Entries, b.Description)
	}
	_ = tw.Flush()
}

func newExplain(f *flags) *cobra.Command {
	var (
		client, clientID string
		local            bool
		r                = remote{root: f}
	)
	cmd := &cobra.Command{
		Use:   "explain NAME",
		Short: "Say what the server does with NAME, and why: by which list, rule and line, or which pause or allow entry",
		Long: "Asks the running instance (--server, else the http.listen of --config or of the default config) when one answers,\n" +
			"so pauses and runtime entries are its own; otherwise, or with --local, builds the same pipeline from the config\n" +
			"and the state directory and asks it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ip netip.Addr
			if client != "" {
				var err error
				if ip, err = netip.ParseAddr(client); err != nil {
					return fmt.Errorf("--client: %w", err)
				}
			}
			clientID = strings.ToLower(clientID)
			if clientID != "" && !query.ValidClientID(clientID) {
				return fmt.Errorf("--client-id: %q is not a client ID (1 to 63 letters, digits and '-')", clientID)
			}
			if !local {
				ex, asked, err := explainRemote(cmd, &r, args[0], client, clientID)
				if asked || err != nil {
					if err == nil {
						printExplanation(cmd.OutOrStdout(), ex)
					}
					return err
				}
			}
			cfg, err := loadConfig(f)
			if err != nil {
				return err
			}
			srv, err := loadLists(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer func() { _ = srv.Shutdown(context.Background()) }()
			fmt.Fprintln(cmd.ErrOrStderr(), "no running instance asked: evaluated from the config and the state directory (pauses of a running instance are not known here)")
			printExplanation(cmd.OutOrStdout(), srv.ExplainFor(args[0], ip, clientID))
			return nil
		},
	}
	cmd.Flags().StringVar(&client, "client", "", "answer for the group of the client with this IP address")
	cmd.Flags().StringVar(&clientID, "client-id", "", "answer for a device that gives this client ID (DoH path, TLS server name), as groups' id:NAME")
	cmd.Flags().BoolVar(&local, "local", false, "do not ask a running instance; evaluate the config here")
	return r.flags(cmd)
}

// explainRemote asks the running instance. asked is false when no instance
// answers where the config says one listens (then explain evaluates the
// config itself); an instance named with --server must answer.
func explainRemote(cmd *cobra.Command, r *remote, name, client, clientID string) (ex api.Explanation, asked bool, err error) {
	in, err := resolveInstance(r.server, cmd.Flags().Changed("server"), r.root)
	if err != nil {
		return ex, false, nil // no API configured: evaluate locally
	}
	c := &api.Client{Server: in.URL, Token: os.Getenv(TokenEnv), HTTP: &http.Client{Timeout: 5 * time.Second}}
	ex, err = c.ExplainFor(cmd.Context(), name, client, clientID)
	var ue *url.Error
	if errors.As(err, &ue) && !cmd.Flags().Changed("server") {
		return ex, false, nil // nothing listens there
	}
	if err == nil {
		in.announce(cmd.ErrOrStderr())
	}
	return ex, true, err
}

// loadLists builds the configured server and loads its lists once, remote
// ones included (with a bounded wait), without serving.
func loadLists(ctx context.Context, cfg *config.Config) (*server.Server, error) {
	srv, err := server.New(cfg, server.Deps{Logger: progressLogger(os.Stderr), Version: version})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_ = srv.LoadLists(ctx) // a remote list that fails shows in the status
	return srv, nil
}

func printExplanation(out io.Writer, ex api.Explanation) {
	verdict := "not blocked"
	switch {
	case ex.Blocked:
		verdict = "BLOCKED"
	case ex.Answer == "local":
		verdict = "answered locally"
	case ex.Allowed:
		verdict = "allowed"
	case ex.Paused:
		verdict = "not blocked (paused)"
	}
	fmt.Fprintf(out, "%s: %s (group %s)\n", ex.Name, verdict, ex.Group)
	if ex.GroupReason != "" {
		fmt.Fprintf(out, "  in group %s: %s\n", ex.Group, ex.GroupReason)
	}
	fmt.Fprintf(out, "  %s\n", ex.Text)
	for _, r := range ex.Matches {
		kind := "blocks"
		if r.Allow {
			kind = "allows"
		}
		fmt.Fprintf(out, "  %s line %d %s: %q\n", r.List, r.Line, kind, r.Rule)
	}
}

func newHealthcheck(f *flags) *cobra.Command {
	return &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the instance at --http answers /healthz (for container health checks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr := f.http
			if addr == "" {
				addr = config.Default().HTTP.Listen
			}
			c := &http.Client{Timeout: 3 * time.Second}
			resp, err := c.Get("http://" + addr + "/healthz")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("healthz: %s", resp.Status)
			}
			return nil
		},
	}
}

// progressLogger shows a one-shot command's list downloads on stderr (a
// large list takes a while), and nothing else of the server's logging.
func progressLogger(w io.Writer) *zap.Logger {
	enc := zap.NewDevelopmentEncoderConfig()
	enc.TimeKey, enc.CallerKey, enc.LevelKey = "", "", ""
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), zapcore.InfoLevel)
	return zap.New(onlyMessages{core, map[string]bool{"list downloading": true}})
}

// onlyMessages is a zap core that writes the entries with these messages.
type onlyMessages struct {
	zapcore.Core
	keep map[string]bool
}

func (o onlyMessages) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !o.keep[e.Message] {
		return ce
	}
	return o.Core.Check(e, ce)
}

func (o onlyMessages) With(f []zapcore.Field) zapcore.Core {
	return onlyMessages{o.Core.With(f), o.keep}
}
