package room

import "errors"

// Errors of the Manager, for the HTTP layer to map to status codes.
var (
	ErrNotFound      = errors.New("room: no such room or session")
	ErrRoomFull      = errors.New("room: room is full")
	ErrNoMoreViewers = errors.New("room: room has as many viewers as it may")
	ErrServerFull    = errors.New("room: the server has as many rooms as it may open")
	ErrBadOffer      = errors.New("room: unusable SDP offer")
	ErrBadName       = errors.New("room: room names are 1 to 64 letters, digits, '-' or '_', not starting with '-'")
	ErrClosed        = errors.New("room: server is shutting down")
	ErrPeerGone      = errors.New("room: the peer connection closed while joining")
	ErrRoomClosed    = errors.New("room: the room closed while joining; join again")
	ErrRecording     = errors.New("room: already recording")
	ErrNotRecording  = errors.New("room: not recording")
)
