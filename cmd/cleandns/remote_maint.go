package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cleandns/cleandns/api"
)

// newListsRefresh is `cleandns lists refresh`: the running instance reloads
// every list now (remote lists conditionally), instead of at its next
// refresh.
func newListsRefresh(f *flags) *cobra.Command {
	r := remote{root: f}
	return r.flags(&cobra.Command{
		Use:   "refresh",
		Short: "Make the running instance reload every list now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			if err := c.RefreshLists(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "lists refreshed")
			return nil
		},
	})
}

// newCache is `cleandns cache flush`.
func newCache(f *flags) *cobra.Command {
	cmd := &cobra.Command{Use: "cache", Short: "Manage the running instance's answer cache"}
	r := remote{root: f}
	cmd.AddCommand(r.flags(&cobra.Command{
		Use:   "flush",
		Short: "Empty the running instance's answer cache",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			n, err := c.FlushCache(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "flushed %d cache entries\n", n)
			return nil
		},
	}))
	return cmd
}

// customOps are the API calls of one runtime list: the deny list or the
// custom rules.
type customOps struct {
	list   func(c *api.Client, cmd *cobra.Command) ([]api.CustomEntry, error)
	add    func(c *api.Client, cmd *cobra.Command, v string) (api.CustomEntry, error)
	remove func(c *api.Client, cmd *cobra.Command, v string) error
}

// newBlock is `cleandns block add|rm|list`: the runtime deny list.
func newBlock(f *flags) *cobra.Command {
	return newCustom(f, "block", "NAME", "the runtime deny list: names blocked with their subdomains in every group (kept across restarts)",
		customOps{
			list: func(c *api.Client, cmd *cobra.Command) ([]api.CustomEntry, error) { return c.DenyList(cmd.Context()) },
			add: func(c *api.Client, cmd *cobra.Command, v string) (api.CustomEntry, error) {
				return c.DenyAdd(cmd.Context(), v)
			},
			remove: func(c *api.Client, cmd *cobra.Command, v string) error { return c.DenyRemove(cmd.Context(), v) },
		})
}

// newRules is `cleandns rules add|rm|list`: custom rules in list syntax.
func newRules(f *flags) *cobra.Command {
	return newCustom(f, "rules", "RULE", "custom rules in list syntax (||ads.example^, @@||ok.example^, $dnsrewrite, ...) applied in every group (kept across restarts)",
		customOps{
			list: func(c *api.Client, cmd *cobra.Command) ([]api.CustomEntry, error) { return c.RulesList(cmd.Context()) },
			add: func(c *api.Client, cmd *cobra.Command, v string) (api.CustomEntry, error) {
				return c.RulesAdd(cmd.Context(), v)
			},
			remove: func(c *api.Client, cmd *cobra.Command, v string) error { return c.RulesRemove(cmd.Context(), v) },
		})
}

func newCustom(f *flags, use, arg, what string, ops customOps) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: "Manage " + what}
	add, rm, list := remote{root: f}, remote{root: f}, remote{root: f}
	cmd.AddCommand(
		add.flags(&cobra.Command{
			Use: "add " + arg, Short: "Add " + arg, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := add.client()
				if err != nil {
					return err
				}
				e, err := ops.add(c, cmd, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "added %s\n", e.Name+e.Rule)
				return nil
			},
		}),
		rm.flags(&cobra.Command{
			Use: "rm " + arg, Aliases: []string{"remove"}, Short: "Remove " + arg, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := rm.client()
				if err != nil {
					return err
				}
				if err := ops.remove(c, cmd, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
				return nil
			},
		}),
		list.flags(&cobra.Command{
			Use: "list", Short: "Print them", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := list.client()
				if err != nil {
					return err
				}
				entries, err := ops.list(c, cmd)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, arg+"\tADDED\tBY")
				for _, e := range entries {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name+e.Rule, e.Added.Local().Format(timeLayout), e.By)
				}
				return tw.Flush()
			},
		}),
	)
	return cmd
}
