// The demo page: join a room with camera and microphone, watch the mix,
// and drive the room (layout, recording). The WebRTC and HTTP work is in
// mcu.js; this file is only the page.

import { ROOM_NAME, checkToken, join, lockRoom, muteSession, removeSession, roomInfo, setLayout, share, startRecording, stopRecording } from "./mcu.js";

const POLL_MS = 1500; // how often the participant list is refreshed while joined
// After a failed read of the room the next waits twice as long as the one
// before, up to POLL_MAX_MS, or as long as the server's Retry-After says
// (up to RETRY_MAX_MS): a struggling server or proxy is not asked again
// and again by every page.
const POLL_MAX_MS = 30000;
const RETRY_MAX_MS = 120000;

// The server is where this page comes from, also under a path (a reverse
// proxy serving mcu at https://host/mcu/).
const server = new URL(".", import.meta.url).href.replace(/\/$/, "");

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("join-form"),
  room: $("room"),
  name: $("name"),
  tokenField: $("token-field"),
  token: $("token"),
  join: $("join"),
  cancel: $("cancel"),
  status: $("status"),
  error: $("error"),
  call: $("call"),
  mix: $("mix"),
  play: $("play"),
  self: $("self"),
  camera: $("camera"),
  mic: $("mic"),
  share: $("share"),
  leave: $("leave"),
  count: $("count"),
  people: $("people"),
  layout: $("layout"),
  lock: $("lock"),
  record: $("record"),
  recording: $("recording"),
};

let session = null; // the joined session, or null
let sessionToken = ""; // the token the session joined with
let joining = null; // the AbortController of the join under way, until it is joined
let pollError = ""; // the error the last poll showed
let local = null; // the local MediaStream
let screen = null; // the screen shared from this page: {session, stream} (mcu.js share), or null
let room = "";
let pollTimer = 0;
let pollFailures = 0; // reads of the room failed in a row
let recordingPath = null; // path of the room's recording under way, from the last poll
let roomLayout = ""; // the room's layout, from the last poll
let pageShows = 0; // counts the page's hidings: a join begun before one is dropped
let recordActions = 0; // counts the starts and ends of record clicks: a poll sent before one is stale
let layoutActions = 0; // the same for layout choices
let layoutPending = 0; // layout choices not yet answered: a poll answered meanwhile may predate them

function say(text) {
  // A live region: a screen reader announces every write, so the same
  // text is not written again (joined, then the connection's state).
  if (ui.status.textContent !== text) {
    ui.status.textContent = text;
  }
}

// token is the server's token as typed in the token field (kept in the
// page only, never stored), "" for none. A join sends it, and the
// session's API calls send the one it joined with (sessionToken), whatever
// the field holds since.
function token() {
  return ui.token.value.trim();
}

// askForToken shows the token field, for good (the server needs a token:
// it answered 401), and brings the focus to it while the join form is
// shown (in a call, the field waits there for the next join).
function askForToken() {
  ui.tokenField.hidden = false;
  if (!ui.form.hidden) {
    ui.token.focus();
    ui.token.select(); // a refused token is typed over
  }
}

// showError shows err in the error line, or, with none, takes the line
// away, unless the system has paused the call's camera or microphone,
// which the line then tells.
function showError(err) {
  if (!err && paused.size > 0 && local) {
    const both = paused.size === 2;
    const what = both ? "camera and microphone are" : `${[...paused][0]} is`;
    const it = both ? "them" : "it";
    const text = `Your ${what} paused by the system (a call, or another app using ${it}): the others get nothing from ${it} until ${both ? "they resume" : "it resumes"}.`;
    // Written only when it changes: the line is an alert, which a screen
    // reader announces at every write.
    if (ui.error.hidden || ui.error.textContent !== text) {
      ui.error.textContent = text;
      ui.error.hidden = false;
    }
    ui.error.dataset.paused = "1";
    return;
  }
  const text = err ? (err.message ?? String(err)) : "";
  if (ui.error.textContent !== text) {
    ui.error.textContent = text; // an alert: announced at every write
  }
  ui.error.hidden = !err;
  delete ui.error.dataset.paused;
  if (err?.status === 401) {
    askForToken(); // the message says the server needs one
  }
}

// paused holds "camera" and "microphone" while the system pauses the
// call's; the error line tells them when it has nothing else to say.
const paused = new Set();

// showPaused updates the error line after a pause or its end, unless it
// shows another message.
function showPaused() {
  if (ui.error.hidden || ui.error.dataset.paused) {
    showError(null);
  }
}

// remember and recall keep the name between visits, where storage is allowed.
function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage disabled: the name is simply not kept
  }
}

function recall(key) {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

// roomFromHash reads the room from the address's fragment: #ROOM, or an
// invitation, #ROOM&token=TOKEN (a room token: README, Room tokens), whose
// token goes to the token field and out of the address, so that it is not
// kept in a bookmark or copied on with the link.
function roomFromHash() {
  const [room, ...rest] = location.hash.slice(1).split("&");
  const invited = new URLSearchParams(rest.join("&")).get("token");
  if (invited) {
    ui.token.value = invited;
    history.replaceState(history.state, "", `${location.pathname}${location.search}#${room}`);
  }
  try {
    return decodeURIComponent(room);
  } catch {
    return "";
  }
}

// blocked tells whether the browser says the page may not use a device
// ("camera" or "microphone") without asking; false where it cannot say.
async function blocked(name) {
  try {
    return (await navigator.permissions.query({ name })).state === "denied";
  } catch {
    return false;
  }
}

// Camera and microphone if there are both; otherwise whatever there is, and
// if nothing, join to watch and listen only.
async function localMedia(signal) {
  const video = { width: { ideal: 640 }, height: { ideal: 360 } };
  // Browsers keep the camera's and the microphone's permissions apart, and
  // a request for both fails if either is blocked: a device already
  // blocked is not asked for, so that a person who blocked the camera
  // still joins with the microphone. (Where the browser cannot say, every
  // request is tried as before.)
  const [noCamera, noMic] = await Promise.all(["camera", "microphone"].map(blocked));
  if (signal.aborted) {
    return new MediaStream(); // cancelled before the browser was asked: ask nothing
  }
  const tries = [{ audio: true, video }, { audio: true }, { video }].filter(
    (c) => !(c.video && noCamera) && !(c.audio && noMic),
  );
  let last = tries.length ? null : Object.assign(new Error("blocked"), { name: "NotAllowedError" });
  for (const constraints of tries) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      last = err;
      if (err.name === "NotAllowedError" || err.name === "SecurityError") {
        break; // refused now: asking again for less would ask the person again
      }
    }
  }
  const why = {
    NotAllowedError: "Camera and microphone access was refused; you are joining to watch and listen only.",
    SecurityError: "This page may not use the camera or microphone (it needs https or localhost); you are joining to watch and listen only.",
    NotFoundError: "No camera or microphone was found; you are joining to watch and listen only.",
  }[last?.name] ?? `Camera and microphone unavailable (${last?.message ?? "unsupported browser"}); you are joining to watch and listen only.`;
  if (!signal.aborted) {
    showError(new Error(why)); // not for a join cancelled meanwhile
  }
  return new MediaStream();
}

async function onJoin(event) {
  event.preventDefault();
  showError(null);
  room = ui.room.value.trim();
  if (!ROOM_NAME.test(room)) {
    showError(new Error("Room names are 1 to 64 letters, digits, '-' or '_', not starting with '-'."));
    ui.room.focus();
    return;
  }
  const joinToken = token();
  try {
    checkToken(joinToken); // before the camera is asked for
  } catch (err) {
    showError(err);
    askForToken();
    return;
  }
  const attempt = new AbortController();
  joining = attempt;
  ui.join.disabled = true;
  ui.cancel.hidden = false;
  let mine = null;
  let media = null;
  const shown = pageShows;
  const carried = rejoin; // joining again by itself (ended)
  rejoin = null;
  try {
    say("Asking for camera and microphone…");
    if (navigator.mediaDevices?.getUserMedia) {
      media = await localMedia(attempt.signal);
      if (shown !== pageShows || attempt.signal.aborted) {
        media.getTracks().forEach((t) => t.stop()); // the page was left, or the join cancelled, meanwhile
        return;
      }
      // What the person had turned off stays off, before anything is sent.
      media.getVideoTracks().forEach((t) => (t.enabled = !carried?.cameraOff));
      media.getAudioTracks().forEach((t) => (t.enabled = !carried?.micOff));
    } else {
      // Browsers offer no camera to a page over plain http from another
      // machine; watching and listening still work.
      showError(new Error("This page may not use the camera or microphone here (it needs https or localhost); you are joining to watch and listen only."));
      media = new MediaStream();
    }
    local = media;
    watchEnded(media);
    say(`Joining ${room}…`);
    mine = await join({ server, room, name: ui.name.value.trim(), stream: local, signal: attempt.signal, token: joinToken });
    if (shown !== pageShows) {
      mine.abandon(); // the page was left meanwhile
      return;
    }
    joining = null; // joined: Leave ends it from here
    ui.cancel.hidden = true;
    session = mine;
    sessionToken = joinToken;
    // The server dropped the session (it restarted, or gave up a network
    // gone past its -peer-timeout): mcu.js learns it at its next ICE
    // restart, within seconds, where a poll slowed down by failed reads
    // may come half a minute later.
    mine.ended?.then((why) => {
      if (session === mine) {
        ended(why?.removed);
      }
    });
    mixSeen.packets = -1; // a new call's counts
    mixSeen.at = performance.now();
    connectionFailed = false;
    remember("mcu-name", ui.name.value.trim());
    history.replaceState(null, "", `#${encodeURIComponent(room)}`);
    ui.self.srcObject = local;
    ui.mix.srcObject = session.remoteStream;
    // Autoplay with sound may need a click: until then the picture plays
    // muted (always allowed), and the button brings the sound.
    ui.mix.muted = false;
    ui.mix.play().catch(() => {
      ui.mix.muted = true;
      ui.mix.play().catch(() => {});
      ui.play.textContent = "Play the room's sound";
      ui.play.hidden = false;
    });
    setCallUI(true);
    if (carried?.cameraOff) {
      ui.camera.dataset.off = "true";
      ui.camera.textContent = "Turn camera on";
    }
    if (carried?.micOff) {
      ui.mic.dataset.off = "true";
      ui.mic.textContent = "Unmute microphone";
    }
    if (carried) {
      showError(new Error(carried.notice));
    }
    ui.leave.focus(); // the Join button is gone with the form
    say(`Connecting to ${room}…`);
    session.pc.addEventListener("connectionstatechange", onConnectionState);
    poll();
    await session.connected;
    say(`In room ${room}.`);
    keepAwake();
  } catch (err) {
    if (mine && session !== mine) {
      return; // left (or left and joined again) while connecting: not an error
    }
    if (attempt.signal.aborted) {
      // Cancelled (onCancel said so): this join's camera goes off.
      media?.getTracks().forEach((t) => t.stop());
      if (local === media) {
        local = null;
        paused.clear();
        if (ui.error.dataset.paused) {
          showError(null);
        }
      }
      return;
    }
    showError(err);
    await hangUp();
    say("");
  } finally {
    if (joining === attempt) {
      joining = null;
    }
    if (!joining) {
      ui.join.disabled = false;
      ui.cancel.hidden = true;
      if (!ui.form.hidden && (document.activeElement === document.body || !document.activeElement)) {
        ui.join.focus(); // it lost the focus when it was disabled for the join
      }
    }
  }
}

// onCancel gives up the join under way, whatever it waits for (the
// camera permission, the server's answer).
function onCancel() {
  const attempt = joining;
  if (!attempt) {
    return;
  }
  joining = null;
  attempt.abort();
  ui.cancel.hidden = true;
  ui.join.disabled = false;
  say("Join cancelled.");
  ui.join.focus();
}

// watchEnded tells the person when their camera or microphone stops
// without them (unplugged, its permission withdrawn): the others then see
// their last picture, or hear nothing.
function watchEnded(stream) {
  paused.clear(); // a new call's tracks
  stream.getTracks().forEach((track) => watchTrack(stream, track));
  if (paused.size > 0) {
    showPaused();
  }
}

// watchTrack is watchEnded's for one track of stream.
function watchTrack(stream, track) {
  // The system may pause a track without ending it (iOS during a phone
  // call or Siri, another app taking the camera, the page in the
  // background): the others then get nothing from it until it resumes.
  const what = track.kind === "video" ? "camera" : "microphone";
  if (track.muted) {
    paused.add(what); // paused already when the call begins
  }
  track.addEventListener("mute", () => {
    if (local === stream) {
      paused.add(what);
      showPaused();
    }
  });
  track.addEventListener("unmute", () => {
    if (local === stream) {
      paused.delete(what);
      showPaused();
    }
  });
  track.addEventListener("ended", () => {
    if (local !== stream) {
      return; // a call that is over
    }
    paused.delete(what); // stopped, not paused: said below
    const video = track.kind === "video";
    const button = video ? ui.camera : ui.mic;
    // Pressing the button asks for the device again (turnOn).
    button.dataset.off = "true";
    button.textContent = video ? "Turn camera on" : "Unmute microphone";
    showError(
      new Error(
        `Your ${video ? "camera" : "microphone"} stopped (unplugged, or its permission withdrawn): the others ${video ? "no longer see you" : "no longer hear you"}. Press "${button.textContent}" to send it again.`,
      ),
    );
  });
}

// turnOn asks for a camera or microphone the call has none of (it joined
// without, or the one it had stopped) and sends it, in the same session.
async function turnOn(kind, button) {
  const s = session;
  button.disabled = true;
  try {
    const media = await navigator.mediaDevices.getUserMedia(kind === "video" ? { video: { width: { ideal: 640 }, height: { ideal: 360 } } } : { audio: true });
    const track = media.getTracks()[0];
    if (session !== s || !local) {
      track.stop(); // left meanwhile
      return;
    }
    local.getTracks().filter((t) => t.kind === kind).forEach((t) => { t.stop(); local.removeTrack(t); });
    local.addTrack(track);
    watchTrack(local, track);
    await s.setTrack(kind, track);
    ui.self.srcObject = null;
    ui.self.srcObject = local;
    button.dataset.off = "false";
    button.textContent = kind === "video" ? "Turn camera off" : "Mute microphone";
    showError(null);
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

// onDevice is a click on the camera's or the microphone's button: with a
// live track of its kind, it turns it off or on; without, it asks for one.
function onDevice(kind, button, offText, onText) {
  const tracks = local?.getTracks().filter((t) => t.kind === kind && t.readyState === "live") ?? [];
  if (tracks.length === 0 && session?.setTrack) {
    turnOn(kind, button);
    return;
  }
  toggle(button, tracks, offText, onText);
}

// connectionFailed: the error line says the connection failed.
let connectionFailed = false;

function onConnectionState() {
  const state = session?.pc.connectionState;
  if (state === "disconnected") {
    say("Connection interrupted, trying to recover…");
  } else if (state === "failed") {
    // mcu.js keeps restarting ICE while the server keeps the session;
    // the error goes if that brings it back.
    connectionFailed = true;
    showError(new Error("The connection to the server failed. If it does not come back, leave and join again."));
  } else if (state === "connected") {
    if (connectionFailed) {
      connectionFailed = false;
      showError(null);
    }
    say(`In room ${room}.`);
  }
}

// wakeLock keeps the screen on during a call: a phone that locks
// suspends the page, and the server ends the session -peer-timeout
// (15 s) later.
let wakeLock = null;
let askingWake = false;

async function keepAwake() {
  if (wakeLock || askingWake) {
    return;
  }
  askingWake = true;
  const s = session;
  try {
    const lock = await navigator.wakeLock?.request("screen");
    if (!lock) {
      return;
    }
    if (session !== s || !s || wakeLock) {
      lock.release().catch(() => {}); // the call ended meanwhile
      return;
    }
    wakeLock = lock;
    // A hidden page loses it: forgotten then, and asked for again when
    // the page shows.
    lock.addEventListener?.("release", () => {
      if (wakeLock === lock) {
        wakeLock = null;
      }
    });
  } catch {
    // refused (battery saver, a hidden page): the screen may sleep
  } finally {
    askingWake = false;
  }
}

document.addEventListener("visibilitychange", () => {
  if (session && document.visibilityState === "visible" && (!wakeLock || wakeLock.released)) {
    wakeLock = null;
    keepAwake();
  }
});

// stopCall stops the polling, the camera and the microphone, and a
// screen share, and lets the screen sleep again.
function stopCall() {
  stopShare();
  wakeLock?.release().catch(() => {});
  wakeLock = null;
  paused.clear();
  if (ui.error.dataset.paused) {
    showError(null);
  }
  clearTimeout(pollTimer);
  pollTimer = 0;
  pollFailures = 0;
  local?.getTracks().forEach((t) => t.stop());
  local = null;
}

// showForm takes the call off the page.
function showForm() {
  ui.mix.srcObject = null;
  ui.self.srcObject = null;
  setCallUI(false);
}

async function hangUp() {
  const s = session;
  session = null;
  stopCall(); // at once, whatever the server answers
  ui.call.inert = true; // no recording or layout for a room being left
  if (s) {
    try {
      await s.leave();
    } catch (err) {
      showError(err);
    }
  }
  showForm();
}

async function onLeave() {
  ui.leave.disabled = true;
  await hangUp();
  ui.leave.disabled = false;
  say(`You left ${room}.`);
  ui.join.focus();
}

// onShare shares a screen (a window, a tab) in the room, or stops the
// share under way. The share is a session of its own, which the server
// shows large in the speaker layout.
async function onShare() {
  if (screen) {
    stopShare();
    return;
  }
  const s = session;
  ui.share.disabled = true;
  showError(null);
  let stream = null;
  try {
    // With a tab's sound, where the browser offers it (Chromium): the
    // others hear it, this person does not (share's owner). Not this
    // tab, whose sound is the room's mix this page plays (everyone else
    // would hear the room again, late), nor the system's sound, which
    // holds it too, unless the browser takes this page's own out of it
    // (restrictOwnAudio).
    const ownOut = navigator.mediaDevices.getSupportedConstraints?.().restrictOwnAudio === true;
    stream = await navigator.mediaDevices.getDisplayMedia({
      video: true,
      audio: ownOut ? { restrictOwnAudio: true } : true,
      systemAudio: ownOut ? "include" : "exclude",
      selfBrowserSurface: "exclude",
    });
    if (session !== s) {
      stream.getTracks().forEach((t) => t.stop()); // left meanwhile
      return;
    }
    const name = ui.name.value.trim();
    // A share is a join: with the token the field holds now (a fresh one
    // typed after the one joined with expired), as a join sends it.
    const shared = await share({ server, room, name: name ? `${name} (screen)` : "screen", stream, owner: s, token: token() || sessionToken });
    // Left meanwhile, or the screen's sharing ended by the browser (its
    // own stop, the window shared closed) while the share joined: its
    // "ended" came before anyone listened.
    if (session !== s || stream.getVideoTracks()[0]?.readyState !== "live") {
      shared.abandon();
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    screen = { session: shared, stream };
    ui.share.classList.add("sharing"); // shown in a short window too (style.css)
    // The browser's own "Stop sharing" ends the track.
    stream.getVideoTracks()[0]?.addEventListener("ended", () => {
      if (screen?.stream === stream) {
        stopShare();
      }
    });
    ui.share.textContent = "Stop sharing";
    // The server ended the share (its connection failed, or the server
    // restarted): the screen is neither sent nor captured any longer.
    shared.ended?.then(() => {
      if (screen?.session === shared) {
        stopShare();
        showError(new Error("The server ended your screen share; share it again to go on."));
      }
    });
  } catch (err) {
    stream?.getTracks().forEach((t) => t.stop());
    if (err.name === "NotAllowedError" && /system/i.test(err.message)) {
      // Chromium's word for a screen the system keeps from the browser
      // (macOS: its Screen Recording permission).
      showError(new Error(`The system does not let this browser share the screen (${err.message}); on macOS, allow it in System Settings, Privacy & Security, Screen Recording.`));
    } else if (err.name !== "NotAllowedError") {
      showError(err); // not for a picker the person closed
    }
  } finally {
    ui.share.disabled = false;
  }
}

// stopShare ends this page's screen share, if there is one; abandon: at
// once, for a page being closed.
function stopShare(abandon = false) {
  const sh = screen;
  screen = null;
  ui.share.textContent = "Share screen";
  ui.share.classList.remove("sharing");
  if (!sh) {
    return;
  }
  sh.stream.getTracks().forEach((t) => t.stop());
  if (abandon) {
    sh.session.abandon();
  } else {
    sh.session.leave().catch(showError);
  }
}

function setCallUI(inCall) {
  document.body.classList.toggle("in-call", inCall);
  ui.call.hidden = !inCall;
  ui.call.inert = false;
  ui.form.hidden = inCall;
  ui.play.hidden = true;
  ui.camera.dataset.off = ui.mic.dataset.off = "false";
  ui.camera.textContent = "Turn camera off";
  ui.mic.textContent = "Mute microphone";
  // Browsers without screen capture (phones) show no share button.
  ui.share.hidden = !inCall || !navigator.mediaDevices?.getDisplayMedia;
  // Without a camera (or microphone) the button asks for one.
  if (inCall && !local?.getVideoTracks().length) {
    ui.camera.dataset.off = "true";
    ui.camera.textContent = "Turn camera on";
  }
  if (inCall && !local?.getAudioTracks().length) {
    ui.mic.dataset.off = "true";
    ui.mic.textContent = "Unmute microphone";
  }
  // Where the page may ask for none (plain http from another machine),
  // a button without a device has nothing to turn on.
  const canAsk = Boolean(navigator.mediaDevices?.getUserMedia);
  ui.camera.disabled = inCall && !canAsk && !local?.getVideoTracks().length;
  ui.mic.disabled = inCall && !canAsk && !local?.getAudioTracks().length;
  if (!inCall) {
    ui.people.replaceChildren();
    delete ui.people.dataset.shown;
    ui.count.textContent = "";
    ui.recording.textContent = "";
    recordingPath = null;
    roomLayout = "";
  }
  // A new call starts with no recording of its own (the room's is read
  // at the first poll), whatever the last call's button said or did.
  ui.record.textContent = recordingPath ? "Stop recording" : "Start recording";
  ui.record.disabled = false;
}

// toggle turns a kind of local track off or on; the tracks stay negotiated,
// so the server keeps the tile (black) or the mix slot (silence). The
// button's text says what pressing it does.
function toggle(button, tracks, offText, onText) {
  const off = button.dataset.off !== "true";
  for (const t of tracks) {
    t.enabled = !off;
  }
  button.dataset.off = String(off);
  button.textContent = off ? onText : offText;
}

async function poll() {
  if (!session) {
    return;
  }
  const s = session;
  const records = recordActions;
  const layouts = layoutActions;
  let retryAfter = null;
  try {
    const info = await s.room(); // with the session's key: a room token may expire meanwhile
    if (session !== s) {
      return; // left (or joined again, which polls anew) meanwhile
    }
    await noteMix(s);
    if (session !== s) {
      return;
    }
    if (!info.participants.some((p) => p.id === sessionID(s))) {
      await ended(); // the server has ended our session; the others are still there
      return;
    }
    if (pollError && ui.error.textContent === pollError) {
      showError(null); // the server answers again, and nothing else went wrong since
    }
    pollError = "";
    pollFailures = 0;
    render(info, records === recordActions, layouts === layoutActions && layoutPending === 0);
  } catch (err) {
    if (session !== s) {
      return; // an answer about a session that is over
    }
    if (err.status === 404 || err.status === 410) {
      await ended(err.status === 410); // the room closed under us, or its moderator removed us
      return;
    }
    showError(err);
    pollError = ui.error.textContent;
    pollFailures++;
    retryAfter = err.retryAfter ?? null;
  }
  if (session === s) {
    pollTimer = setTimeout(poll, pollDelay(pollFailures, retryAfter));
  }
}

// pollDelay is the wait before the next read of the room, after failures
// reads failed in a row, the last saying Retry-After seconds (or null).
function pollDelay(failures, retryAfter) {
  const backoff = Math.min(POLL_MS * 2 ** Math.min(failures, 8), POLL_MAX_MS);
  return failures && retryAfter !== null ? Math.max(backoff, Math.min(retryAfter * 1000, RETRY_MAX_MS)) : backoff;
}

// rejoinedAt is when the page last joined again by itself (ended): at
// most once a minute, so that a server that keeps ending the session is
// not asked again and again.
let rejoinedAt = -Infinity;
const REJOIN_EVERY_MS = 60000;

// rejoin, while the page joins again by itself, is what it carries over
// from the call the server ended: what to tell, and the camera and
// microphone the person had turned off (they stay off).
let rejoin = null;

// mixSeen tracks when the mix last came in (packets counted at each
// poll). With the connection's ICE state it tells a session the server
// gave up while the page's network was down from one it ended while the
// page was connected (on purpose, or its room closed).
const mixSeen = { packets: -1, at: 0 };
const MIX_GONE_MS = 3000;

async function noteMix(s) {
  let packets = 0;
  try {
    (await s.pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp") {
        packets += r.packetsReceived ?? 0;
      }
    });
  } catch {
    return; // closed meanwhile
  }
  if (packets !== mixSeen.packets) {
    mixSeen.packets = packets;
    mixSeen.at = performance.now();
  }
}

// ended takes the call off the page when the server has ended the session
// (its peer connection failed, or the room closed). If the page's
// connection was down and the mix had stopped coming (a network gone
// longer than the server keeps a silent session, which no ICE restart
// could bridge), it joins again by itself, as the same person, with the
// camera and microphone as they were; never when the room's moderator
// removed the session (removed).
async function ended(removed = false) {
  const s = session;
  const shown = pageShows;
  const ice = s?.pc.iceConnectionState;
  const down = !removed && s && !["connected", "completed"].includes(ice) && mixSeen.packets > 0 &&
    performance.now() - mixSeen.at > MIX_GONE_MS;
  const again = down && performance.now() - rejoinedAt > REJOIN_EVERY_MS;
  const notice = `Your connection to ${room} was down too long, and the server ended your session`;
  showError(new Error(again ? `${notice}; joining again…` : removed ? `The room's moderator removed you from ${room}.` : `The server ended your session in ${room}; join again to come back.`));
  const carried = { notice: `${notice}; you joined again.`, cameraOff: ui.camera.dataset.off === "true", micOff: ui.mic.dataset.off === "true" };
  await hangUp();
  say("");
  ui.join.disabled = false; // it may have ended before the join was done
  if (again && !joining && shown === pageShows) {
    rejoinedAt = performance.now();
    rejoin = carried;
    ui.join.click(); // the form still holds the room and the name (requestSubmit is newer)
    return;
  }
  ui.join.focus();
}

// sessionID is the id the room's state lists a session under: its
// Location ends in that id, a dot and its secret.
function sessionID(s) {
  return s?.location.split("/").pop().split(".")[0];
}

// render shows the room's state; its recording and layout too unless
// recordingFresh or layoutFresh is false (a click on them happened while
// the state was on its way).
function render(info, recordingFresh = true, layoutFresh = true) {
  const myID = sessionID(session);
  // The API lists participants in no particular order; show them in join order.
  const people = [...info.participants].sort((a, b) => Date.parse(a.joined) - Date.parse(b.joined));
  ui.count.textContent = `(${people.length}${info.viewers ? ` + ${info.viewers} watching` : ""})`;
  const shown = JSON.stringify(people.map((p) => [p.id, p.name, p.kind, p.content, p.id === info.spotlight, p.video_codec, p.width, p.height, p.audio_codec, p.heard ? (p.speaker ? 2 : 1) : 0, p.id === myID, p.muted]));
  if (shown !== ui.people.dataset.shown) {
    ui.people.dataset.shown = shown;
    // The list is built anew: a button with the focus (a keyboard's
    // press, or someone starting to speak) keeps it.
    const focusedButton = document.activeElement?.closest?.("#people button");
    const focused = focusedButton?.dataset.person;
    const focusedKind = focusedButton?.className;
    const focusedAt = focusedButton ? [...ui.people.children].indexOf(focusedButton.closest("li")) : -1;
    ui.people.replaceChildren(
      ...people.map((p) => {
        const li = document.createElement("li");
        li.textContent = p.name + (p.id === myID ? " (you)" : "");
        const what = [p.video_codec && `${p.video_codec} ${p.width}×${p.height}`, p.audio_codec].filter(Boolean).join(", ");
        if (what || p.kind !== "participant" || p.muted) {
          const detail = document.createElement("span");
          detail.className = "detail";
          const kind = p.content ? "shared screen" : p.kind !== "participant" ? p.kind : "";
          detail.textContent = ` — ${[kind, what, p.muted && "muted by the room"].filter(Boolean).join(", ")}`;
          li.append(detail);
        }
        // Shown large in the speaker layout, whoever speaks; pressed
        // again, the speaker has the large tile again.
        const spot = document.createElement("button");
        spot.type = "button";
        spot.className = "spotlight";
        spot.textContent = "Spotlight";
        const lit = p.id === info.spotlight;
        spot.setAttribute("aria-pressed", String(lit));
        spot.title = lit ? `Stop showing ${p.name} large` : `Show ${p.name} large`;
        spot.setAttribute("aria-label", `Spotlight ${p.name}`); // the buttons told apart in a list of them
        spot.dataset.id = lit ? "" : p.id; // what a press asks for (one listener on the list)
        spot.dataset.person = p.id;
        li.append(" ", spot);
        if (p.id !== myID) {
          // Someone whose noise spoils the room kept out of the mixes,
          // pressed again let in (the server's mute: their own stays).
          const mute = document.createElement("button");
          mute.type = "button";
          mute.className = "mute";
          mute.textContent = "Mute";
          mute.setAttribute("aria-label", `Mute ${p.name}`);
          mute.dataset.person = p.id;
          mute.dataset.name = p.name;
          showMuted(mute, !!p.muted);
          li.append(" ", mute);
          // Someone unwanted, or whose noise spoils the room, let go (a
          // room token needs the control grant for it, as for the layout).
          const remove = document.createElement("button");
          remove.type = "button";
          remove.className = "remove";
          remove.textContent = "Remove";
          remove.title = `Remove ${p.name} from the room`;
          remove.setAttribute("aria-label", `Remove ${p.name}`);
          remove.dataset.person = p.id;
          li.append(" ", remove);
        }
        if (p.heard) {
          // In the mixes: the server mixes the loudest few voices.
          const voice = document.createElement("span");
          voice.className = "voice";
          voice.textContent = " 🔊";
          voice.title = p.speaker ? "Heard (the speaker)" : "Heard";
          voice.setAttribute("role", "img");
          voice.setAttribute("aria-label", voice.title);
          li.append(voice);
        }
        return li;
      }),
    );
    if (focused !== undefined) {
      // Its person gone (removed, left): the button of the one now in
      // their place, or before it, not the page's start, where a
      // keyboard user would have to find the list again.
      const buttons = [...ui.people.querySelectorAll("button")];
      const lines = [...ui.people.children];
      const near = lines[Math.min(focusedAt, lines.length - 1)];
      (buttons.find((b) => b.dataset.person === focused && b.className === focusedKind) ??
        near?.querySelector(`button.${focusedKind}`) ??
        near?.querySelector("button"))?.focus();
    }
  }
  showLock(!!info.locked);
  if (layoutFresh) {
    roomLayout = info.layout;
    const radio = ui.layout.querySelector(`input[value="${info.layout}"]`);
    if (radio) {
      radio.checked = true;
    }
  }
  if (!recordingFresh) {
    return;
  }
  recordingPath = info.recording?.path ?? null;
  ui.record.textContent = recordingPath ? "Stop recording" : "Start recording";
  if (recordingPath) {
    // A recording whose file stopped taking the room (a full disk) says why.
    const trouble = info.recording.error ? ` — ${info.recording.error}` : "";
    const line = `Recording to ${recordingPath}${trouble}`;
    if (ui.recording.textContent !== line) {
      ui.recording.textContent = line; // aria-live: announced at every write
    }
  } else if (ui.recording.textContent.startsWith("Recording to ")) {
    ui.recording.textContent = ""; // stopped elsewhere (another page, the API)
  }
}

async function onRecord() {
  recordActions++;
  ui.record.disabled = true;
  showError(null);
  const s = session;
  const stopping = Boolean(recordingPath);
  try {
    if (stopping) {
      const { path } = await stopRecording({ server, room, token: sessionToken });
      if (session !== s) {
        return; // left meanwhile: the call's section is gone
      }
      recordingPath = null;
      ui.record.textContent = "Start recording";
      ui.recording.textContent = `Saved ${path}`;
    } else {
      const { path } = await startRecording({ server, room, token: sessionToken });
      if (session !== s) {
        return;
      }
      recordingPath = path;
      ui.record.textContent = "Stop recording";
      ui.recording.textContent = `Recording to ${path}`;
    }
  } catch (err) {
    const path = err.body?.path;
    if (session === s && stopping && err.status === 409) {
      // Stopped meanwhile elsewhere: nothing is recording.
      recordingPath = null;
      ui.record.textContent = "Start recording";
      ui.recording.textContent = "";
      return;
    }
    if (path && session === s && !stopping && err.status === 409) {
      // Started meanwhile elsewhere (another page, the API): it is
      // recording, to that file.
      recordingPath = path;
      ui.record.textContent = "Stop recording";
      ui.recording.textContent = `Recording to ${path}`;
      return;
    }
    showError(err);
    // A stop that failed after the file was made (a full disk, or one
    // nearly full: 507) ends the recording all the same, and the server
    // says where the file is.
    if (path && session === s && stopping) {
      recordingPath = null;
      ui.record.textContent = "Start recording";
      ui.recording.textContent = `Saved, incomplete: ${path}`;
    }
  } finally {
    recordActions++;
    if (session === s) {
      ui.record.disabled = false;
    }
  }
}

// onSpotlight puts participant id in the spotlight ("": nobody).
async function onSpotlight(id) {
  layoutActions++;
  layoutPending++;
  showError(null);
  try {
    const { mode } = await setLayout({ server, room, spotlight: id, token: sessionToken });
    roomLayout = mode;
    const radio = ui.layout.querySelector(`input[value="${mode}"]`);
    if (radio) {
      radio.checked = true;
    }
  } catch (err) {
    showError(err);
  } finally {
    layoutPending--;
    layoutActions++;
  }
  // The list shows who is in the spotlight at its next read of the room.
}

// showLock shows whether the room is locked, on its button.
function showLock(locked) {
  ui.lock.dataset.locked = String(locked);
  ui.lock.textContent = locked ? "Unlock room" : "Lock room";
  ui.lock.title = locked ? "Let new people join again" : "Let no one new join to be seen or heard";
}

// onLock locks the room (no one new joins to be seen or heard: someone
// removed cannot come straight back), or unlocks it.
async function onLock() {
  showError(null);
  const locked = ui.lock.dataset.locked !== "true";
  try {
    await lockRoom({ server, room, locked, token: sessionToken });
    showLock(locked);
  } catch (err) {
    showError(err);
  }
}

// showMuted shows on a person's Mute button whether the room keeps their
// sound out, and what a press asks for.
function showMuted(button, muted) {
  const name = button.dataset.name;
  button.setAttribute("aria-pressed", String(muted));
  button.title = muted ? `Let ${name} be heard again` : `Keep ${name}'s sound out of the room`;
  button.dataset.ask = String(!muted);
}

// onMute keeps the sound of the person of a Mute button out of the room's
// mixes, or with muted false lets it in.
async function onMute(button, muted) {
  showError(null);
  try {
    await muteSession({ server, room, id: button.dataset.person, muted, token: sessionToken });
    // Shown at once, not at the next read of the room: a second press
    // meanwhile asks for the other state. (The list built anew since
    // holds another button, showing the server's state.)
    showMuted(button, muted);
  } catch (err) {
    showError(err);
  }
}

// onRemove lets participant id go from the room; the list shows them gone
// at its next read of the room.
async function onRemove(id) {
  showError(null);
  try {
    await removeSession({ server, room, id, token: sessionToken });
  } catch (err) {
    showError(err);
  }
}

async function onLayout(event) {
  layoutActions++;
  layoutPending++;
  showError(null);
  try {
    await setLayout({ server, room, mode: event.target.value, token: sessionToken });
    roomLayout = event.target.value;
  } catch (err) {
    showError(err);
    // The room kept its layout: show it again (unless another choice
    // has been made since).
    const radio = ui.layout.querySelector(`input[value="${roomLayout}"]`);
    if (radio && event.target.checked) {
      radio.checked = true;
    }
  } finally {
    layoutPending--;
    layoutActions++;
  }
}

ui.room.value = roomFromHash() || "demo";
ui.name.value = recall("mcu-name");
ui.form.addEventListener("submit", onJoin);
ui.cancel.addEventListener("click", onCancel);
ui.leave.addEventListener("click", onLeave);
ui.camera.addEventListener("click", () => onDevice("video", ui.camera, "Turn camera off", "Turn camera on"));
ui.mic.addEventListener("click", () => onDevice("audio", ui.mic, "Mute microphone", "Unmute microphone"));
ui.share.addEventListener("click", onShare);
ui.people.addEventListener("click", (event) => {
  const spot = event.target.closest("button.spotlight");
  if (spot) {
    onSpotlight(spot.dataset.id);
  }
  const remove = event.target.closest("button.remove");
  if (remove) {
    onRemove(remove.dataset.person);
  }
  const mute = event.target.closest("button.mute");
  if (mute) {
    onMute(mute, mute.dataset.ask === "true");
  }
});
ui.record.addEventListener("click", onRecord);
ui.lock.addEventListener("click", onLock);
ui.layout.addEventListener("change", onLayout);
// The system may pause the mix (iOS during a phone call or when
// headphones come out, a media key, Android's media notification): the
// button brings it back, as there is no control on the video.
ui.mix.addEventListener("pause", () => {
  if (session && ui.mix.srcObject) {
    ui.play.textContent = "Resume the room";
    ui.play.hidden = false;
  }
});
// Playing again (the system resumed it, a media key): the button goes,
// unless the sound is still off (autoplay's rule), which it then brings.
ui.mix.addEventListener("playing", () => {
  ui.play.textContent = "Play the room's sound";
  ui.play.hidden = !ui.mix.muted;
});
// The mix's box takes the picture's shape, the server's canvas (-size):
// a portrait one, for phones held upright, would otherwise be drawn small
// in the middle of a 16:9 box.
ui.mix.addEventListener("resize", () => {
  if (ui.mix.videoWidth > 0 && ui.mix.videoHeight > 0) {
    ui.mix.style.setProperty("--mix-aspect", `${ui.mix.videoWidth} / ${ui.mix.videoHeight}`);
  }
});
ui.play.addEventListener("click", () => {
  ui.mix.muted = false;
  ui.mix.play().then(() => (ui.play.hidden = true), showError);
});
window.addEventListener("hashchange", () => {
  if (!session) {
    ui.room.value = roomFromHash() || ui.room.value;
  }
});
// Closing the tab: tell the server at once (keepalive outlives the page);
// otherwise it would notice only when the connection times out.
// The page is then left as after a leave, in case the browser keeps it
// and shows it again (back and forward).
window.addEventListener("pagehide", () => {
  pageShows++;
  joining?.abort();
  joining = null;
  session?.abandon();
  session = null;
  stopShare(true);
  stopCall();
  showForm();
  // Shown again from the back/forward cache, the page is out of the room.
  say("");
  showError(null);
});
