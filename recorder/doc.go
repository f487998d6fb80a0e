// Package recorder writes the room's already-encoded VP8 video and Opus audio
// to WebM files, progressively: clusters of at most a second reach the disk
// as they close, so a process killed mid-recording leaves a file that plays
// up to its last second; Close writes duration and cues. Recording costs no
// extra encode.
package recorder
