// Package recorder writes the room's already-encoded VP8 video and Opus audio
// to WebM files, progressively: clusters of at most a second are written to
// the file as they close, so a process killed mid-recording leaves a file
// that plays up to its last second; Close writes duration and cues and
// syncs the file. (A power loss can take what the kernel had not yet
// written out: the file is synced only at Close.) Recording costs no extra
// encode.
package recorder
