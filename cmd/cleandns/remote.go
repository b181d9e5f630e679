package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/querylog"
)

// TokenEnv names the environment variable the remote commands read the API
// token from; a flag would leave it in shell history and `ps`.
const TokenEnv = "CLEANDNS_TOKEN"

// timeLayout prints times with their zone: a pause "until 14:00" read on a
// machine in another zone than the server's must not mislead.
const timeLayout = "2006-01-02 15:04:05 MST"

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// remote is what every command that talks to a running instance shares.
type remote struct {
	root   *flags // --config and --http say where the instance listens
	server string
	cmd    *cobra.Command
}

func (r *remote) flags(cmd *cobra.Command) *cobra.Command {
	r.cmd = cmd
	cmd.Flags().StringVar(&r.server, "server", "", "base URL of the running instance's HTTP listener (default: http.listen of --config, else of the default config; token from $"+TokenEnv+")")
	return cmd
}

// client finds the instance (see resolveInstance), says which on stderr,
// and returns an API client for it.
func (r *remote) client() (*api.Client, error) {
	in, err := resolveInstance(r.server, r.cmd.Flags().Changed("server"), r.root)
	if err != nil {
		return nil, err
	}
	in.announce(r.cmd.ErrOrStderr())
	return &api.Client{Server: in.URL, Token: os.Getenv(TokenEnv)}, nil
}

func newPause(f *flags) *cobra.Command {
	var (
		r     = remote{root: f}
		group string
	)
	cmd := &cobra.Command{
		Use:   "pause DURATION",
		Short: "Pause blocking on the running instance, e.g. `cleandns pause 10m`",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := time.ParseDuration(args[0])
			if err != nil {
				return fmt.Errorf("duration: %w", err)
			}
			c, err := r.client()
			if err != nil {
				return err
			}
			res, err := c.Pause(cmd.Context(), d, group)
			if err != nil {
				return err
			}
			printPaused(cmd.OutOrStdout(), res.Paused)
			return nil
		},
	}
	cmd.Flags().StringVar(&group, "group", "", "pause this client group only (default: everyone)")
	return r.flags(cmd)
}

func newResume(f *flags) *cobra.Command {
	var (
		r     = remote{root: f}
		group string
	)
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Resume blocking on the running instance",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			res, err := c.Resume(cmd.Context(), group)
			if err != nil {
				return err
			}
			printPaused(cmd.OutOrStdout(), res.Paused)
			return nil
		},
	}
	cmd.Flags().StringVar(&group, "group", "", "resume this client group only (default: every pause)")
	return r.flags(cmd)
}

func printPaused(out io.Writer, paused map[string]time.Time) {
	if len(paused) == 0 {
		fmt.Fprintln(out, "blocking is active")
		return
	}
	groups := make([]string, 0, len(paused))
	for g := range paused {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		who := "everyone"
		if g != "" {
			who = "group " + g
		}
		fmt.Fprintf(out, "blocking paused for %s until %s\n", who, paused[g].Local().Format(timeLayout))
	}
}

func newQueryLog(root *flags) *cobra.Command {
	var (
		r      = remote{root: root}
		p      api.QueryLogParams
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "querylog",
		Short: "Search the running instance's query log, newest first",
		Example: "  cleandns querylog --client 10.0.0.5 --since 1h\n" +
			"  cleandns querylog --client-id annas-phone\n" +
			"  cleandns querylog --name tiktok --result blocked",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			recs, err := c.QueryLog(cmd.Context(), p)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(recs)
			}
			return printRecords(cmd.OutOrStdout(), recs)
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Client, "client", "", "client address")
	f.StringVar(&p.ClientID, "client-id", "", "the ID a device gave (DoH path, TLS server name)")
	f.StringVar(&p.Name, "name", "", "substring of the query name")
	f.StringVar(&p.Result, "result", "", "one of "+strings.Join(query.ResultLabels(), ", "))
	f.StringVar(&p.Since, "since", "", "how far back (1h) or from when (RFC 3339)")
	f.StringVar(&p.Until, "until", "", "up to (a duration back from now, or RFC 3339)")
	f.IntVar(&p.Limit, "limit", 0, "at most this many records (default 100)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return r.flags(cmd)
}

func printRecords(out io.Writer, recs []querylog.Record) error {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCLIENT\tGROUP\tNAME\tTYPE\tRESULT\tWHY\tDURATION")
	for _, r := range recs {
		why := r.Upstream
		switch {
		case r.List != "" && r.Rule != "":
			why = r.List + ": " + r.Rule
		case r.List != "":
			why = r.List
		case r.Reason != "":
			why = r.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\n", r.Time.Local().Format(timeLayout), clientOf(r), orDash(r.Group), r.Name, r.Type,
			r.Result, why, r.Duration.Round(time.Microsecond))
	}
	return tw.Flush()
}

// clientOf is who asked, as the console shows it: the device's ID first,
// where it gave one, then the address.
func clientOf(r querylog.Record) string {
	if r.ClientID == "" {
		return r.Client
	}
	if r.Client == "" {
		return querylog.IDPrefix + r.ClientID
	}
	return querylog.IDPrefix + r.ClientID + " (" + r.Client + ")"
}

func newTop(f *flags) *cobra.Command {
	var (
		r     = remote{root: f}
		since string
		limit int
	)
	cmd := &cobra.Command{
		Use:       "top blocked|clients|names",
		Short:     "Show the most blocked names, the busiest clients or the most asked names",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"blocked", "clients", "names"},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			top, err := c.Top(cmd.Context(), args[0], since, limit)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			if args[0] == "clients" {
				fmt.Fprintln(tw, "COUNT\tCLIENTS\tGROUP\tWHY")
			} else {
				fmt.Fprintln(tw, "COUNT\t"+strings.ToUpper(args[0]))
			}
			for _, c := range top {
				if c.ClientGroup != nil {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.Count, c.Key, c.Group, c.Reason)
					continue
				}
				fmt.Fprintf(tw, "%d\t%s\n", c.Count, c.Key)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&since, "since", "24h", "how far back (a duration, or RFC 3339)")
	cmd.Flags().IntVar(&limit, "limit", 10, "how many")
	return r.flags(cmd)
}

func newAllow(f *flags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "allow",
		Short: "Manage the running instance's runtime allow list (kept across restarts)",
	}
	add, rm, list := remote{root: f}, remote{root: f}, remote{root: f}
	cmd.AddCommand(
		add.flags(&cobra.Command{
			Use:   "add NAME",
			Short: "Never block NAME or the names under it",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := add.client()
				if err != nil {
					return err
				}
				e, err := c.AllowAdd(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "allowed %s\n", e.Name)
				return nil
			},
		}),
		rm.flags(&cobra.Command{
			Use:     "rm NAME",
			Aliases: []string{"remove"},
			Short:   "Remove NAME from the runtime allow list",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := rm.client()
				if err != nil {
					return err
				}
				if err = c.AllowRemove(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
				return nil
			},
		}),
		list.flags(&cobra.Command{
			Use:   "list",
			Short: "Print the runtime allow list",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := list.client()
				if err != nil {
					return err
				}
				entries, err := c.AllowList(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tADDED\tBY")
				for _, e := range entries {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Added.Local().Format(timeLayout), e.By)
				}
				return tw.Flush()
			},
		}),
	)
	return cmd
}
