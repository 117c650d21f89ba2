package fakeserver

// CyrusCapsMissing exposes cyrusCapsMissing to the byte test.
var CyrusCapsMissing = cyrusCapsMissing
