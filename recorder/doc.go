// Package recorder writes the room's already-encoded VP8 video and Opus audio
// to WebM files, progressively: clusters of at most a second are written to
// the file as they close, so a process killed mid-recording leaves a file
// that plays up to its last second; a recording's file is synced to the
// disk every 5 s of media, so a power loss takes about that much and the
// cluster being written (more while a slow sync is still running; on a
// file system that cannot sync files, what the kernel holds); Close writes
// duration and cues and syncs the file.
// Recording costs no extra encode.
package recorder
