//go:build !race

package push

// raceDetector: see sim_race_test.go.
const raceDetector = false
