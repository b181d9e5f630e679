package main

import (
	"fmt"

	"github.com/spf13/cobra"
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
