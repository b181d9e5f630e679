// Package layers holds no code: its tests check that packages depend on
// each other in the intended direction (docs/architecture.md).
package layers
