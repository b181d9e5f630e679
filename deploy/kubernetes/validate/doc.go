// Package validate holds no code: its test decodes every manifest of
// deploy/kubernetes strictly into the Kubernetes API types, so a typo in a
// field name fails CI, and checks that the pieces fit together (selectors,
// port names, the ConfigMap's config). It is a module of its own so that
// cleandns itself never depends on k8s.io/api.
package validate
