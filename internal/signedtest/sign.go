package signedtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/miekg/dns"
)

// builder signs the zones in dir with BIND's tools, children first, so
// each parent's file can carry its children's DS records.
type builder struct {
	dir string
	ds  map[string]string // zone -> DS lines for its parent
}

func (b *builder) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = b.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// fileName is the zone's file name stem: "root" for ".", else its name.
func fileName(name string) string {
	if name == "." {
		return "root"
	}
	return strings.TrimSuffix(name, ".")
}

// keygen makes a key in keydir and returns its file stem (Kzone.+alg+tag).
func (b *builder) keygen(z zone, keydir string, ksk bool) (string, error) {
	args := []string{"-q", "-K", keydir, "-a", z.alg, "-n", "ZONE"}
	if ksk {
		args = append(args, "-f", "KSK")
	}
	if strings.HasPrefix(z.alg, "RSA") {
		args = append(args, "-b", "2048")
	}
	out, err := b.run("dnssec-keygen", append(args, z.name)...)
	return strings.TrimSpace(out), err
}

// dsOf returns the SHA-256 DS record of a key file, as dnssec-dsfromkey prints it.
func (b *builder) dsOf(keydir, stem string) (string, error) {
	return b.run("dnssec-dsfromkey", "-2", filepath.Join(keydir, stem+".key"))
}

// build writes, signs (when z.alg is set) and returns the file named in
// named.conf for z. children are the delegations z must carry.
func (b *builder) build(z zone, children []zone, sigTTL int) (string, error) {
	var text strings.Builder
	text.WriteString(soa(z.name, sigTTL))
	for _, r := range z.records {
		text.WriteString(r + "\n")
	}
	for _, c := range children {
		label := strings.TrimSuffix(c.name, "."+strings.TrimPrefix(z.name, "."))
		if z.name == "." {
			label = c.name
		}
		fmt.Fprintf(&text, "%s NS ns.%s\nns.%s A 127.0.0.1\n", label, c.name, c.name)
		text.WriteString(b.ds[c.name])
	}
	base := fileName(z.name)
	if err := os.WriteFile(filepath.Join(b.dir, base+".zone"), []byte(text.String()), 0o644); err != nil {
		return "", err
	}
	if z.alg == "" {
		return base + ".zone", nil
	}
	keydir := filepath.Join(b.dir, "keys-"+base)
	if err := os.MkdirAll(keydir, 0o755); err != nil {
		return "", err
	}
	ksk, err := b.keygen(z, keydir, true)
	if err != nil {
		return "", err
	}
	if _, err := b.keygen(z, keydir, false); err != nil {
		return "", err
	}
	dsKey := ksk
	switch {
	case z.twoKSKs:
		if dsKey, err = b.keygen(z, keydir, true); err != nil {
			return "", err
		}
	case z.orphanDS:
		// A key the zone never publishes: its DS dangles.
		elsewhere := filepath.Join(b.dir, "orphan-"+base)
		if err := os.MkdirAll(elsewhere, 0o755); err != nil {
			return "", err
		}
		stem, err := b.keygen(z, elsewhere, true)
		if err != nil {
			return "", err
		}
		ds, err := b.dsOf(elsewhere, stem)
		if err != nil {
			return "", err
		}
		b.ds[z.name] = ds
	}
	if !z.noDS && !z.orphanDS {
		ds, err := b.dsOf(keydir, dsKey)
		if err != nil {
			return "", err
		}
		b.ds[z.name] = ds
	}
	args := []string{"-S", "-P", "-K", keydir, "-o", z.name, "-f", base + ".signed"}
	if z.nsec3 != "" {
		args = append(args, strings.Fields(z.nsec3)...)
	}
	if z.start != "" {
		args = append(args, "-s", z.start, "-e", z.end)
	}
	if _, err := b.run("dnssec-signzone", append(args, base+".zone")...); err != nil {
		return "", err
	}
	if z.corrupt != "" {
		if err := corrupt(filepath.Join(b.dir, base+".signed"), z); err != nil {
			return "", err
		}
	}
	return base + ".signed", nil
}

// corrupt flips one byte of the signature over the RRset z.corrupt names,
// after BIND signed it: the record stays well-formed, the signature fails.
func corrupt(path string, z zone) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f := strings.Fields(z.corrupt)
	owner, covered := dns.Fqdn(f[0]+"."+strings.TrimSuffix(z.name, ".")), dns.StringToType[f[1]]
	zp := dns.NewZoneParser(bytes.NewReader(data), z.name, path)
	var out strings.Builder
	done := false
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if sig, isSig := rr.(*dns.RRSIG); isSig && !done && strings.EqualFold(sig.Hdr.Name, owner) && sig.TypeCovered == covered {
			raw, err := base64.StdEncoding.DecodeString(sig.Signature)
			if err != nil {
				return fmt.Errorf("corrupt %s: %w", z.name, err)
			}
			raw[len(raw)/2] ^= 0xFF
			sig.Signature = base64.StdEncoding.EncodeToString(raw)
			done = true
		}
		out.WriteString(rr.String() + "\n")
	}
	if err := zp.Err(); err != nil {
		return err
	}
	if !done {
		return fmt.Errorf("corrupt %s: no RRSIG over %s", z.name, z.corrupt)
	}
	return os.WriteFile(path, []byte(out.String()), 0o644)
}
