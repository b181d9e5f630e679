package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestImagesAreFullyQualified: Podman refuses short names such as
// "golang:1.26" unless a registry alias is configured, so every image the
// Dockerfile and the compose file name carries its registry.
func TestImagesAreFullyQualified(t *testing.T) {
	from := regexp.MustCompile(`(?m)^\s*(?:FROM\s+(\S+)|image:\s*(\S+))`)
	for _, f := range []string{"../Dockerfile", "docker-compose.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range from.FindAllStringSubmatch(string(b), -1) {
			img := m[1] + m[2]
			if img == "cleandns:local" { // built by the compose file itself
				continue
			}
			registry, _, ok := strings.Cut(img, "/")
			if !ok || !strings.Contains(registry, ".") {
				t.Errorf("%s: image %q has no registry host (write docker.io/...)", f, img)
			}
		}
	}
}

// TestComposeFileParses runs Debian's docker-compose 1.29, the oldest
// Compose an admin is likely to have, over the file. `config -q` checks
// the schema without a Docker engine.
func TestComposeFileParses(t *testing.T) {
	p, err := exec.LookPath("docker-compose")
	if err != nil {
		msg := "docker-compose not found (apt-get install docker-compose): compose file not checked"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true, so this fails instead of skipping")
		}
		t.Skip(msg)
	}
	out, err := exec.Command(p, "-f", "docker-compose.yml", "config", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
}

func TestDockerignoreKeepsTheContextSmall(t *testing.T) {
	b, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "bench"} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}
}
