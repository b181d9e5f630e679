package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cleandns/cleandns/transport"
)

// newCert is `cleandns cert`: a self-signed certificate for the encrypted
// listeners of a home network, and its fingerprint to check on a device
// before trusting it.
func newCert() *cobra.Command {
	var (
		hosts             []string
		certFile, keyFile string
		days              int
		force             bool
	)
	cmd := &cobra.Command{
		Use:   "cert --host dns.home.example",
		Short: "Write a self-signed certificate and key for DoT, DoH and DoQ, and print its SHA-256 fingerprint",
		Long: "Writes a self-signed ECDSA certificate for the given host names and addresses (each name also\n" +
			"covers *.NAME, so devices can connect as CLIENT-ID.NAME) and prints its SHA-256 fingerprint.\n" +
			"Point tls.cert_file and tls.key_file (or --tls-cert, --tls-key) at the files. Devices must be\n" +
			"told to trust it; Android's Private DNS accepts only publicly trusted certificates.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(hosts) == 0 {
				return errors.New("--host: at least one name or address the devices will use")
			}
			if !force {
				for _, f := range []string{certFile, keyFile} {
					if _, err := os.Stat(f); err == nil {
						return fmt.Errorf("%s exists (--force replaces it)", f)
					}
				}
			}
			c, k, err := transport.SelfSigned(hosts, time.Duration(days)*24*time.Hour, time.Now())
			if err != nil {
				return err
			}
			// The key first, private from the start; the certificate is public.
			if err := os.WriteFile(keyFile, k, 0o600); err != nil {
				return fmt.Errorf("key: %w", err)
			}
			if err := os.WriteFile(certFile, c, 0o644); err != nil {
				return fmt.Errorf("certificate: %w", err)
			}
			fp, err := transport.Fingerprint(c)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote %s and %s, valid %d days for %v\n", certFile, keyFile, days, hosts)
			fmt.Fprintf(out, "SHA-256 fingerprint: %s\n", fp)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&hosts, "host", nil, "DNS name or IP address the certificate is for (repeatable)")
	f.StringVar(&certFile, "cert", "tls.crt", "certificate file to write (PEM)")
	f.StringVar(&keyFile, "key", "tls.key", "key file to write (PEM, mode 0600)")
	f.IntVar(&days, "days", 825, "validity in days (Apple devices refuse more than 825)")
	f.BoolVar(&force, "force", false, "replace existing files")
	return cmd
}
