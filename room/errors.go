package room

import (
	"errors"
	"fmt"
	"time"

	"mcu/recorder"
)

// Errors of the Manager, for the HTTP layer to map to status codes.
var (
	ErrNotFound     = errors.New("room: no such room or session")
	ErrRoomFull     = errors.New("room: room is full")
	ErrServerFull   = errors.New("room: the server has as many rooms as it may open")
	ErrBadOffer     = errors.New("room: unusable SDP offer")
	ErrBadName      = errors.New("room: room names are 1 to 64 letters, digits, '-' or '_', not starting with '-'")
	ErrClosed       = errors.New("room: server is shutting down")
	ErrPeerGone     = errors.New("room: the peer connection closed while joining")
	ErrRoomClosed   = errors.New("room: the room closed while joining; join again")
	ErrRecording    = errors.New("room: already recording")
	ErrNotRecording = errors.New("room: not recording")
	// ErrNothingRecorded is a recording stopped before any frame of the
	// mix reached it: no file is kept.
	ErrNothingRecorded = recorder.ErrEmpty
	// ErrLowDisk: the recording disk has less free space than
	// Config.RecordMinFree; a recording does not start, or took no more
	// of the mix from then on.
	ErrLowDisk = recorder.ErrLowDisk
	// ErrFileGone: a recording's file was deleted or moved away while it
	// was written.
	ErrFileGone = recorder.ErrFileGone
	// ErrNoMoreViewers is a room full of viewers (Config.MaxViewers).
	ErrNoMoreViewers = fmt.Errorf("%w: it has as many viewers as it may", ErrRoomFull)
	// ErrTooManyRecordings: a room's recordings begun within one second
	// have taken every file name of that second.
	ErrTooManyRecordings = errors.New("room: too many recordings begun this second; try again")
	// ErrOverloaded: the server has been short of CPU within
	// Config.OverloadHold, and the join would add to its work (see
	// strain). The error returned is an *OverloadError.
	ErrOverloaded = errors.New("room: the server is short of CPU: it takes no more senders or rooms for now")
	// ErrBadFragment: an SDP fragment for a session's ICE (PatchICE)
	// that is malformed or cannot be used.
	ErrBadFragment = errors.New("room: unusable ICE fragment")
	// ErrICEMismatch: a trickle for an ICE session the session no longer
	// has (If-Match names another entity tag: a restart came between).
	ErrICEMismatch = errors.New("room: If-Match does not name the session's ICE now (its ETag)")
	// ErrRestartTooSoon: an ICE restart of a session that has used its
	// restarts for now (restartBurst, then one every restartEvery).
	ErrRestartTooSoon = errors.New("room: too many ICE restarts of this session in a short time; try again in a second")
	// ErrICEPrecondition: a PATCH without If-Match.
	ErrICEPrecondition = errors.New(`room: If-Match is needed: the session's ETag to add candidates, "*" to restart ICE`)
	// ErrBadOwner: a share's owner (Manager.Share) is a publisher's or a
	// viewer's session: only a participant hears a mix its share's sound
	// could be left out of.
	ErrBadOwner = errors.New("room: a share's owner must be a participant's session (a join's)")
	// ErrRemoved: the session of the key given was removed by the room's
	// moderator (Manager.Remove): its client learns why it is over.
	ErrRemoved = errors.New("room: the room's moderator removed this session")
	// ErrLocked: a join to be seen or heard in a locked room (Room.SetLocked).
	ErrLocked = errors.New("room: the room is locked: no one new may join it")
)

// OverloadError is a join refused with ErrOverloaded. RetryAfter is how
// long the server must keep up before it takes one again (longer if it
// falls behind meanwhile).
type OverloadError struct{ RetryAfter time.Duration }

func (e *OverloadError) Error() string        { return ErrOverloaded.Error() }
func (e *OverloadError) Is(target error) bool { return target == ErrOverloaded }
