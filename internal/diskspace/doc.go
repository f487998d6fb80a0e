// Package diskspace tells how much space a disk has left for the server's
// files. Free is a variable, so that tests can make a disk look full.
package diskspace

// Free is the space of dir's file system that an unprivileged process
// may still write, in bytes; ok is false when it cannot be told.
var Free = free
