package room

import "time"

// Event is something that happened to a room, told to Config.Events as
// it happens: for an application to follow its meetings (a webhook).
type Event struct {
	// Type is one of the Event* constants.
	Type string `json:"type"`
	Room string `json:"room"`
	// RoomID tells apart the rooms of one name: a join may open a room
	// again while the last of that name still closes (its recording
	// finalizing), whose room_finished then comes after the new one's
	// room_started.
	RoomID string    `json:"room_id"`
	ID     string    `json:"id"` // the event's own, unique: a receiver drops one delivered twice (a retry, a replay)
	Time   time.Time `json:"time"`
	// A session's events: its id (as in the room's JSON), name and kind;
	// at its leave, why (LeftByClient, LeftDisconnected, LeftEnded,
	// LeftNeverConnected, LeftWithOwner, LeftRemoved). A
	// refused recording's Reason too, and a room's close's.
	Session string `json:"session,omitempty"`
	Name    string `json:"name,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Content: at a join, the session's picture is shared content (a
	// screen: Manager.Share).
	Content bool `json:"content,omitempty"`
	// Owner: at a share's join, the id of the participant sharing it,
	// when it says (Manager.Share).
	Owner string `json:"owner,omitempty"`
	// Muted: at a participant_muted, whether the session is muted now
	// (false: unmuted).
	Muted *bool `json:"muted,omitempty"`
	// Locked: at a room_locked, whether the room is locked now.
	Locked *bool `json:"locked,omitempty"`
	// A recording's events: its file; at its end, how it ended
	// (RecordingEvent: complete, low_disk, failed, empty: then no file).
	Path   string `json:"path,omitempty"`
	Result string `json:"result,omitempty"`
	// At a recording's end, the frames its file lacks because its disk
	// fell behind (each a hole in it), when there are any.
	DroppedFrames uint64 `json:"dropped_frames,omitempty"`
}

// The events' types.
const (
	EventRoomStarted       = "room_started"       // a room opened for a join
	EventRoomFinished      = "room_finished"      // it closed (Reason: FinishedEmpty, FinishedShutdown, FinishedFailed); its recording finalized first
	EventJoined            = "participant_joined" // a session joined (participant, publisher or viewer)
	EventLeft              = "participant_left"   // it left, was let go or timed out
	EventRecordingStarted  = "recording_started"  // a recording's file was created
	EventRecordingFinished = "recording_finished" // it was finalized (or failed, or had nothing: Result)
	EventRecordingRefused  = "recording_refused"  // a start made no recording (Reason: low_disk, too_many, failed)
	EventMuted             = "participant_muted"  // the room's moderator muted or unmuted a session (Muted; Room.SetMuted)
	EventLocked            = "room_locked"        // the room's moderator locked or unlocked the room (Locked; Room.SetLocked)
)

// Why a session left (Event.Reason of participant_left).
const (
	LeftByClient     = "left"         // its client left (DELETE of its session)
	LeftDisconnected = "disconnected" // its connection failed or closed (the client vanished), or its ICE restart failed
	LeftEnded        = "ended"        // the server let it go: the server stopping, or its room's mixer failing
	// Its client never connected (ICE or DTLS never completed): most
	// often UDP blocked between them, or a wrong -nat1to1-ip.
	LeftNeverConnected = "never_connected"
	// It was a share of a participant's, who left (Manager.Share).
	LeftWithOwner = "owner_left"
	// The room's moderator removed it (Manager.Remove).
	LeftRemoved = "removed"
)

// LeftReasons are the reasons a session leaves for, for a metric to start
// at zero.
var LeftReasons = []string{LeftByClient, LeftDisconnected, LeftEnded, LeftNeverConnected, LeftWithOwner, LeftRemoved}

// Why a room closed (Event.Reason of room_finished).
const (
	FinishedEmpty    = "empty"    // its last session left (or the join that opened it failed)
	FinishedShutdown = "shutdown" // the server stopped
	FinishedFailed   = "failed"   // its mixer failed: everyone in it was let go
)

// emit tells Config.Events of e, stamped now.
func (m *Manager) emit(e Event) {
	if m.cfg.Events == nil {
		return
	}
	e.ID, e.Time = randomHex(8), time.Now().UTC()
	m.cfg.Events(e)
}

// emit tells Config.Events of e, an event of r.
func (r *Room) emit(e Event) {
	e.Room, e.RoomID = r.name, r.id
	r.mgr.emit(e)
}
