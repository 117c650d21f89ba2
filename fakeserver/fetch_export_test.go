package fakeserver

// SetFetchFromStore turns on or off the FETCH path that writes
// whole-message sections from the stored bytes (on by default), and
// returns the function that restores the previous setting. It is global:
// a test that calls it must not run in parallel with others.
func SetFetchFromStore(on bool) (restore func()) {
	prev := fetchFromStoreOff.Swap(!on)
	return func() { fetchFromStoreOff.Store(prev) }
}

// FetchMirrorsMatch reports whether fetch_mem.go's mirrors match
// imapmemserver's types, i.e. whether the stored-bytes path can run at all.
func FetchMirrorsMatch() bool { return memLayoutOK() }
