// Package integration holds the suites that run the prober against real
// servers: Dovecot 2.3 as a local process and in a container (see
// realservers), and the same situations against the fake server to check
// that the fake behaves like Dovecot. Under CI=true a missing Dovecot or
// Docker fails these suites; elsewhere they skip and say how to get them.
package integration
