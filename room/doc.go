// Package room puts the mixing engine on the network: a Room holds the
// participants' pion PeerConnections, turns their RTP into pictures and
// sound for its mixer (each participant decoded in their own goroutine), and
// sends the mixer's single encoded stream to everyone through one shared
// track, with each participant's own mix-minus audio. A Manager creates
// rooms on first join and closes them when the last person leaves.
package room
