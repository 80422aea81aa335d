//go:build race

package demo

// raceEnabled: the race detector slows Load down several times, so the
// timing bound is not checked.
const raceEnabled = true
