// Package e2e holds mcu's end-to-end tests with real browsers: headless
// Chromium instances with fake cameras and microphones join a room through
// the HTTP API from a page on another origin, Chromium and Firefox use the
// demo page, and the tests check what they receive. The package has no code
// of its own; see browser_test.go (Chromium, through DevTools) and
// firefox_test.go (Firefox, through WebDriver BiDi).
package e2e
