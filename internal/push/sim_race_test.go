//go:build race

package push

// raceDetector: the race detector slows the pure-Go SQLite tenfold; the
// default simulation shrinks to keep CI's run short.
const raceDetector = true
