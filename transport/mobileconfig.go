package transport

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"strings"
	"text/template"

	"github.com/cleandns/cleandns/query"
)

// Profile describes an Apple configuration profile (.mobileconfig) that
// points iOS and macOS at cleandns over DoH or DoT.
type Profile struct {
	// Protocol is "doh" or "dot".
	Protocol string
	// ServerName is tls.server_name, the name the certificate is for.
	ServerName string
	// Port is the listener's port; the protocol's default (443, 853) is
	// left out of the URL.
	Port string
	// ClientID names the device in the profile ({id}.server for DoT,
	// /dns-query/{id} for DoH); "" for none.
	ClientID string
}

// AppleProfile renders p as a .mobileconfig (an unsigned plist with one
// com.apple.dnsSettings.managed payload). Its UUIDs are derived from p, so
// installing a newer download replaces the older profile.
func AppleProfile(p Profile) ([]byte, error) {
	if p.ServerName == "" || !validName(p.ServerName) {
		return nil, errors.New("tls.server_name is not set: a profile names the server the certificate is for")
	}
	if p.ClientID != "" && !query.ValidClientID(p.ClientID) {
		return nil, fmt.Errorf("client ID %q: 1 to 63 letters, digits and '-'", p.ClientID)
	}
	id := strings.ToLower(p.ClientID)
	v := profileView{Name: "cleandns", ID: id}
	switch p.Protocol {
	case "doh":
		host := p.ServerName
		if p.Port != "" && p.Port != "443" {
			host = net.JoinHostPort(host, p.Port)
		}
		v.DNSProtocol, v.URL = "HTTPS", "https://"+host+dohPath
		if id != "" {
			v.URL += "/" + id
		}
	case "dot":
		if p.Port != "" && p.Port != "853" {
			return nil, fmt.Errorf("DoT on port %s: Apple devices only use 853", p.Port)
		}
		v.DNSProtocol, v.ServerName = "TLS", p.ServerName
		if id != "" {
			v.ServerName = id + "." + p.ServerName
		}
	default:
		return nil, fmt.Errorf("protocol %q: want doh or dot", p.Protocol)
	}
	seed := p.Protocol + "|" + p.ServerName + "|" + p.Port + "|" + id
	v.UUID, v.PayloadUUID = uuidFrom("profile|"+seed), uuidFrom("payload|"+seed)
	v.Display = fmt.Sprintf("cleandns (%s)", strings.ToUpper(p.Protocol))
	if id != "" {
		v.Display += " for " + id
	}
	var b bytes.Buffer
	if err := profileTmpl.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("mobileconfig: %w", err)
	}
	return b.Bytes(), nil
}

type profileView struct {
	Name, ID, Display string
	DNSProtocol, URL  string
	ServerName        string
	UUID, PayloadUUID string
}

// uuidFrom makes a version-5-shaped UUID from s.
func uuidFrom(s string) string {
	h := sha256.Sum256([]byte(s))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

var profileTmpl = template.Must(template.New("mobileconfig").Funcs(template.FuncMap{"x": xmlText}).Parse(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>PayloadContent</key>
	<array>
		<dict>
			<key>DNSSettings</key>
			<dict>
				<key>DNSProtocol</key>
				<string>{{x .DNSProtocol}}</string>
{{- if .URL}}
				<key>ServerURL</key>
				<string>{{x .URL}}</string>
{{- end}}
{{- if .ServerName}}
				<key>ServerName</key>
				<string>{{x .ServerName}}</string>
{{- end}}
			</dict>
			<key>PayloadDescription</key>
			<string>Sends this device's DNS queries to cleandns, encrypted.</string>
			<key>PayloadDisplayName</key>
			<string>{{x .Display}}</string>
			<key>PayloadIdentifier</key>
			<string>com.apple.dnsSettings.managed.{{.PayloadUUID}}</string>
			<key>PayloadType</key>
			<string>com.apple.dnsSettings.managed</string>
			<key>PayloadUUID</key>
			<string>{{.PayloadUUID}}</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
	</array>
	<key>PayloadDisplayName</key>
	<string>{{x .Display}}</string>
	<key>PayloadIdentifier</key>
	<string>cleandns.{{.UUID}}</string>
	<key>PayloadRemovalDisallowed</key>
	<false/>
	<key>PayloadType</key>
	<string>Configuration</string>
	<key>PayloadUUID</key>
	<string>{{.UUID}}</string>
	<key>PayloadVersion</key>
	<integer>1</integer>
</dict>
</plist>
`))
