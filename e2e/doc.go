// Package e2e holds mcu's end-to-end tests with real browsers: headless
// Chromium instances with fake cameras and microphones join a room through
// the HTTP API from a page on another origin, and the test checks what they
// receive. The package has no code of its own; see browser_test.go.
package e2e
