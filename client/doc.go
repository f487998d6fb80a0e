// Package client is a Go WebRTC client for mcu: it joins a room over HTTP
// (join, WHIP or WHEP), sends media files as a live camera and microphone
// would, and receives the mix, counting frames and optionally decoding
// them. `mcu load` and the end-to-end tests are made of it.
package client
