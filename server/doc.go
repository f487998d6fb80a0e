// Package server is mcu's HTTP face: joining and leaving rooms (the JSON-free
// SDP exchange of WHIP and WHEP, RFC 9725), the REST API, CORS, Prometheus
// metrics, health, and the demo page. It does no media work: everything
// goes through a room.Manager.
package server
